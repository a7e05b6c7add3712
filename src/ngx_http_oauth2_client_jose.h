
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * JWS signatures and client assertions (RFC 7515, RFC 7523).  The
 * nginx-free files each have a header of their own: this one builds on
 * the encodings, the algorithms and the error messages, and includes
 * their headers.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_JOSE_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_JOSE_H_INCLUDED_


#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_encode.h"


/* the assertion lifetime Okta accepts at most */
#define NGX_HTTP_OAUTH2_CLIENT_LIFETIME_MAX    3600

/* random bytes in a jti: 128 bits */
#define NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES       16


typedef struct {
    EVP_PKEY                     *pkey;
    int                           alg;        /* alg_e */
    const char                   *kid;        /* NULL: no kid in the header */
    const char                   *client_id;  /* iss and sub */
    const char                   *audience;   /* the token endpoint URL */
    const char                   *scope;      /* NULL or "": no scope */
    long                          lifetime;   /* seconds, 1..3600 */
    time_t                        now;        /* iat */
} ngx_http_oauth2_client_assertion_t;


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


#endif /* _NGX_HTTP_OAUTH2_CLIENT_JOSE_H_INCLUDED_ */
