
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * JSON Web Keys (RFC 7517, RFC 7518 section 6): private RSA and EC keys
 * as Okta's Admin Console exports them, the public JWK of a key and its
 * RFC 7638 thumbprint.  No nginx types.
 *
 * ngx_http_oauth2_client_jwk_parse(data, len, jwk, err, errlen)
 *     a private JWK, or a JWKS ({"keys": [...]}) holding exactly one,
 *     into jwk: a new EVP_PKEY, the "kid" (malloc()ed copy, or NULL) and
 *     the "alg" (NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET when absent).  RSA
 *     keys need n, e, d, p, q, dp, dq and qi, 2048 to 4096 bits; EC keys
 *     crv (P-256, P-384, P-521), x, y and d of the curve's full size.
 *     The key is checked with EVP_PKEY_check() (its parts must fit
 *     together); "use" must be "sig" and "key_ops" hold "sign" when
 *     present, "alg" must be a signing algorithm that fits the key.
 *     Returns 0, or -1 with err set (jwk is then zeroed).  Every buffer
 *     that held private material is cleansed, jansson's included (its
 *     free function is a cleansing one for the time of the call when it
 *     is jansson's default); data is the caller's to cleanse.
 *
 * ngx_http_oauth2_client_jwk_free(jwk)
 *     frees jwk->pkey and jwk->kid and zeroes jwk.
 *
 * ngx_http_oauth2_client_jwk_public(pkey, len, err, errlen)
 *     the public JWK of an RSA or EC key as compact JSON with the
 *     members RFC 7638 names in its order ({"e","kty","n"} for RSA,
 *     {"crv","kty","x","y"} for EC) and nothing else, nothing private:
 *     malloc()ed, NUL-terminated, *len (may be NULL) set; NULL with err
 *     set on failure.
 *
 * ngx_http_oauth2_client_jwk_thumbprint(pkey, out, err, errlen)
 *     the RFC 7638 SHA-256 thumbprint of the key, base64url: 43
 *     characters and a NUL into out; 0, or -1 with err set.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_JWK_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_JWK_H_INCLUDED_


#include <stddef.h>
#include <openssl/evp.h>


/* base64url of a SHA-256 digest, without the NUL */
#define NGX_HTTP_OAUTH2_CLIENT_JKT_LEN         43

/* the longest "kid" accepted */
#define NGX_HTTP_OAUTH2_CLIENT_KID_MAX         1024


typedef struct {
    EVP_PKEY                     *pkey;
    char                         *kid;        /* NULL: the JWK has none */
    int                           alg;        /* ALG_UNSET: none */
} ngx_http_oauth2_client_jwk_t;


int ngx_http_oauth2_client_jwk_parse(const unsigned char *data, size_t len,
    ngx_http_oauth2_client_jwk_t *jwk, char *err, size_t errlen);
void ngx_http_oauth2_client_jwk_free(ngx_http_oauth2_client_jwk_t *jwk);
char *ngx_http_oauth2_client_jwk_public(EVP_PKEY *pkey, size_t *len,
    char *err, size_t errlen);
int ngx_http_oauth2_client_jwk_thumbprint(EVP_PKEY *pkey,
    char out[NGX_HTTP_OAUTH2_CLIENT_JKT_LEN + 1], char *err, size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_JWK_H_INCLUDED_ */
