
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The nginx-free part of the module: base64url, form encoding, JWS
 * signing, client assertions, private key loading and token response
 * parsing.  Nothing here takes an nginx type, so it is unit-tested and
 * fuzzed on its own (t/unit/).
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_JOSE_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_JOSE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/evp.h>


/* size of the error buffers passed to every function below */
#define NGX_HTTP_OAUTH2_CLIENT_ERRLEN          512

/* longest access token accepted from a token endpoint */
#define NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX       16384

/* expires_in values above this many seconds are capped to it */
#define NGX_HTTP_OAUTH2_CLIENT_EXPIRES_MAX     86400

/* the assertion lifetime Okta accepts at most */
#define NGX_HTTP_OAUTH2_CLIENT_LIFETIME_MAX    3600

/* random bytes in a jti: 128 bits */
#define NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES       16


typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET = 0,
    NGX_HTTP_OAUTH2_CLIENT_ALG_RS256,
    NGX_HTTP_OAUTH2_CLIENT_ALG_RS384,
    NGX_HTTP_OAUTH2_CLIENT_ALG_RS512,
    NGX_HTTP_OAUTH2_CLIENT_ALG_ES256,
    NGX_HTTP_OAUTH2_CLIENT_ALG_ES384,
    NGX_HTTP_OAUTH2_CLIENT_ALG_ES512,
    NGX_HTTP_OAUTH2_CLIENT_ALG_PS256,
    NGX_HTTP_OAUTH2_CLIENT_ALG_PS384,
    NGX_HTTP_OAUTH2_CLIENT_ALG_PS512
} ngx_http_oauth2_client_alg_e;


typedef struct {
    EVP_PKEY                     *pkey;
    int                           alg;        /* ngx_http_oauth2_client_alg_e */
    const char                   *kid;        /* NULL: no kid in the header */
    const char                   *client_id;  /* iss and sub */
    const char                   *audience;   /* the token endpoint URL */
    const char                   *scope;      /* NULL or "": no scope */
    long                          lifetime;   /* seconds, 1..3600 */
    time_t                        now;        /* iat */
} ngx_http_oauth2_client_assertion_t;


typedef struct {
    /* in: a buffer of at least the body's length; out: the token */
    unsigned char                *access_token;
    size_t                        access_token_len;
    long long                     expires_in; /* seconds, after capping */
    int                           expires_in_capped;
} ngx_http_oauth2_client_token_t;


/* formats a message into err, as snprintf() does; err may be NULL */
void ngx_http_oauth2_client_error(char *err, size_t errlen, const char *fmt,
    ...);

/* algorithms */
const char *ngx_http_oauth2_client_alg_name(int alg);
int ngx_http_oauth2_client_alg_by_name(const char *name, size_t len);

/* base64url without padding (RFC 7515, section 2) */
size_t ngx_http_oauth2_client_base64url_encoded_len(size_t len);
size_t ngx_http_oauth2_client_base64url_encode(unsigned char *dst,
    const unsigned char *src, size_t len);
/* returns the decoded length, or (size_t) -1 on invalid input */
size_t ngx_http_oauth2_client_base64url_decode(unsigned char *dst,
    const unsigned char *src, size_t len);

/* application/x-www-form-urlencoded: unreserved bytes kept, space as '+' */
size_t ngx_http_oauth2_client_form_encoded_len(const unsigned char *src,
    size_t len);
size_t ngx_http_oauth2_client_form_encode(unsigned char *dst,
    const unsigned char *src, size_t len);

/*
 * JWS signature of input; sig needs 512 bytes; ES* give JOSE r||s; PS*
 * are RSASSA-PSS with MGF1 and a salt as long as the digest (RFC 7518)
 */
int ngx_http_oauth2_client_jws_sign(EVP_PKEY *pkey, int alg,
    const unsigned char *input, size_t len, unsigned char *sig,
    size_t *siglen, char *err, size_t errlen);

/* a signed client assertion; malloc()ed, NUL-terminated */
char *ngx_http_oauth2_client_assertion_create(
    const ngx_http_oauth2_client_assertion_t *a, size_t *len, char *err,
    size_t errlen);

/*
 * the whole token request body: grant_type, scope, client_assertion_type
 * and a new client assertion; malloc()ed, NUL-terminated; the caller
 * cleanses and frees it
 */
char *ngx_http_oauth2_client_token_request_body(
    const ngx_http_oauth2_client_assertion_t *a, size_t *len, char *err,
    size_t errlen);

/* private keys: PEM (PKCS#8, PKCS#1, SEC1), unencrypted */
EVP_PKEY *ngx_http_oauth2_client_key_parse(const unsigned char *data,
    size_t len, char *err, size_t errlen);
EVP_PKEY *ngx_http_oauth2_client_key_load(const char *path, char *err,
    size_t errlen);
int ngx_http_oauth2_client_key_default_alg(EVP_PKEY *pkey, char *err,
    size_t errlen);
int ngx_http_oauth2_client_key_check_alg(EVP_PKEY *pkey, int alg, char *err,
    size_t errlen);
int ngx_http_oauth2_client_key_fingerprint(EVP_PKEY *pkey,
    unsigned char out[32]);

/* header values: 1 if every byte is a visible ASCII character */
int ngx_http_oauth2_client_token_chars_valid(const unsigned char *p,
    size_t len);

/* token endpoint response; 0 on success, -1 with err set */
int ngx_http_oauth2_client_token_parse(unsigned status,
    const unsigned char *body, size_t len,
    ngx_http_oauth2_client_token_t *tok, char *err, size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_JOSE_H_INCLUDED_ */
