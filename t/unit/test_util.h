
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The small harness shared by the unit tests of the crypto building
 * blocks (test_crypto and its test_*.c files): checks that count and
 * report, and reading the test keys that t/keys/gen.sh made with tools
 * other than the module (openssl, CryptX).
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_TEST_UTIL_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_TEST_UTIL_H_INCLUDED_


#include <stddef.h>

#include <openssl/evp.h>


#define CHECK(cond)                                                         \
    ngx_http_oauth2_client_test_check((cond) != 0, __FILE__, __LINE__, #cond)

#define CHECK_STR(got, want)                                                \
    ngx_http_oauth2_client_test_check_str(got, want, __FILE__, __LINE__)

/* err must contain want */
#define CHECK_ERR(err, want)                                                \
    ngx_http_oauth2_client_test_check_err(err, want, __FILE__, __LINE__)


void ngx_http_oauth2_client_test_check(int ok, const char *file, int line,
    const char *what);
void ngx_http_oauth2_client_test_check_str(const char *got, const char *want,
    const char *file, int line);
void ngx_http_oauth2_client_test_check_err(const char *err, const char *want,
    const char *file, int line);
int ngx_http_oauth2_client_test_failures(void);
int ngx_http_oauth2_client_test_report(void);

/* t/keys/NAME (or $TEST_KEYS/NAME): malloc()ed, NUL-terminated; NULL: a
 * failed check was counted */
char *ngx_http_oauth2_client_test_read(const char *name, size_t *len);
/* the first line of t/keys/NAME, without the newline */
char *ngx_http_oauth2_client_test_read_line(const char *name);
/* the path of t/keys/NAME in a static buffer */
const char *ngx_http_oauth2_client_test_path(const char *name);
/* an unencrypted PEM key of t/keys read with OpenSSL itself */
EVP_PKEY *ngx_http_oauth2_client_test_pem_key(const char *name);
/* a PEM public key (SubjectPublicKeyInfo) of t/keys */
EVP_PKEY *ngx_http_oauth2_client_test_pub_key(const char *name);
/* a certificate's or public key's SubjectPublicKeyInfo equals pkey's */
int ngx_http_oauth2_client_test_same_public(EVP_PKEY *a, EVP_PKEY *b);

/*
 * a JWS signature (ES: r||s, PS: RFC 7518 salt) checked with OpenSSL's
 * verify calls; 1 if it verifies
 */
int ngx_http_oauth2_client_test_verify(EVP_PKEY *pkey, const char *alg,
    const unsigned char *in, size_t len, const unsigned char *sig,
    size_t siglen);
/* a compact JWS split and decoded: the header and claims as malloc()ed
 * NUL-terminated JSON, the signature into sig; 0 or -1 */
int ngx_http_oauth2_client_test_jws_split(const char *jws, char **header,
    char **claims, unsigned char *sig, size_t *siglen, size_t *signed_len);

/* the test groups, one per file */
void ngx_http_oauth2_client_test_file(void);
void ngx_http_oauth2_client_test_pem(void);
void ngx_http_oauth2_client_test_jwk(void);
void ngx_http_oauth2_client_test_keyfile(void);
void ngx_http_oauth2_client_test_dpop(void);
void ngx_http_oauth2_client_test_jwt(void);
void ngx_http_oauth2_client_test_secret(void);
void ngx_http_oauth2_client_test_cert(void);
void ngx_http_oauth2_client_test_creds(void);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_TEST_UTIL_H_INCLUDED_ */
