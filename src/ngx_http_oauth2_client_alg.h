
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * JWS algorithms (RFC 7518).
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_ALG_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_ALG_H_INCLUDED_


#include <stddef.h>
#include <openssl/evp.h>


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


/* "RS256", ...; NULL for an unknown value */
const char *ngx_http_oauth2_client_alg_name(int alg);
/* NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET for an unknown name */
int ngx_http_oauth2_client_alg_by_name(const char *name, size_t len);
/* the digest of the algorithm, NULL for an unknown one */
const EVP_MD *ngx_http_oauth2_client_alg_md(int alg);
/* the width of r and of s in a JOSE ECDSA signature; 0 for RSA */
size_t ngx_http_oauth2_client_alg_ec_size(int alg);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_ALG_H_INCLUDED_ */
