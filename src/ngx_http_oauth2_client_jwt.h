
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Client assertions beyond jose.c's: client_secret_jwt (RFC 7523 with an
 * HS256/384/512 JWS keyed by the client secret, RFC 7518 3.2), and
 * private_key_jwt with certificate thumbprints in the header ("x5t",
 * "x5t#S256", as Microsoft Entra ID wants).  The claims are those of
 * ngx_http_oauth2_client_assertion_create(): iss = sub = client_id,
 * aud, iat, exp, a new 128-bit jti.  No nginx types.
 *
 * ngx_http_oauth2_client_hmac_name(hmac), _hmac_by_name(name, len)
 *     "HS256", "HS384", "HS512" and back (HMAC_UNSET when unknown).
 *
 * ngx_http_oauth2_client_hmac_key_check(hmac, secret_len, err, errlen)
 *     -1 with err set when the secret is shorter than the hash (RFC 7518
 *     3.2 wants at least 32, 48, 64 bytes); the caller decides whether
 *     that is a warning or an error (many servers issue shorter secrets).
 *
 * ngx_http_oauth2_client_jws_hmac(hmac, secret, slen, input, len, sig,
 *     siglen, err, errlen)
 *     the HMAC of input keyed by secret into sig (64 bytes room);
 *     0, or -1 with err set.
 *
 * ngx_http_oauth2_client_jwt_assertion_create(j, len, err, errlen)
 *     a signed client assertion: with j->hmac set, an HS* JWS keyed by
 *     j->secret (j->a->pkey and j->a->alg are ignored); otherwise signed
 *     by j->a->pkey with j->a->alg through jws_sign().  The header is
 *     {"alg", "kid" when j->a->kid, "typ":"JWT", "x5t" and "x5t#S256"
 *     when given}.  j->a->scope is not used.  malloc()ed, NUL-terminated,
 *     *len (may be NULL) set; the caller cleanses and frees it.  NULL
 *     with err set on failure.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_JWT_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_JWT_H_INCLUDED_


#include <stddef.h>

#include "ngx_http_oauth2_client_jose.h"


/* the longest HMAC: SHA-512 */
#define NGX_HTTP_OAUTH2_CLIENT_HMAC_MAX        64


typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET = 0,
    NGX_HTTP_OAUTH2_CLIENT_HMAC_HS256,
    NGX_HTTP_OAUTH2_CLIENT_HMAC_HS384,
    NGX_HTTP_OAUTH2_CLIENT_HMAC_HS512
} ngx_http_oauth2_client_hmac_e;


typedef struct {
    /* client_id, audience, lifetime, now, kid; pkey and alg unless hmac */
    const ngx_http_oauth2_client_assertion_t  *a;

    int                           hmac;       /* hmac_e; UNSET: pkey */
    const unsigned char          *secret;
    size_t                        secret_len;

    const char                   *x5t;        /* NULL: not in the header */
    const char                   *x5t_s256;   /* NULL: not in the header */
} ngx_http_oauth2_client_jwt_t;


const char *ngx_http_oauth2_client_hmac_name(int hmac);
int ngx_http_oauth2_client_hmac_by_name(const char *name, size_t len);
int ngx_http_oauth2_client_hmac_key_check(int hmac, size_t secret_len,
    char *err, size_t errlen);
int ngx_http_oauth2_client_jws_hmac(int hmac, const unsigned char *secret,
    size_t slen, const unsigned char *input, size_t len, unsigned char *sig,
    size_t *siglen, char *err, size_t errlen);
char *ngx_http_oauth2_client_jwt_assertion_create(
    const ngx_http_oauth2_client_jwt_t *j, size_t *len, char *err,
    size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_JWT_H_INCLUDED_ */
