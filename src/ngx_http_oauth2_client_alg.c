
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * JWS algorithms: their names, digests and signature sizes.  Nothing
 * here takes an nginx type.
 */


#include <string.h>

#include <openssl/evp.h>

#include "ngx_http_oauth2_client_alg.h"


static const char  *ngx_http_oauth2_client_alg_names[] = {
    NULL,
    "RS256",
    "RS384",
    "RS512",
    "ES256",
    "ES384",
    "ES512",
    "PS256",
    "PS384",
    "PS512"
};


const char *
ngx_http_oauth2_client_alg_name(int alg)
{
    if (alg <= NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET
        || alg > NGX_HTTP_OAUTH2_CLIENT_ALG_PS512)
    {
        return NULL;
    }

    return ngx_http_oauth2_client_alg_names[alg];
}


int
ngx_http_oauth2_client_alg_by_name(const char *name, size_t len)
{
    int          alg;
    const char  *s;

    if (name == NULL) {
        return NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET;
    }

    for (alg = NGX_HTTP_OAUTH2_CLIENT_ALG_RS256;
         alg <= NGX_HTTP_OAUTH2_CLIENT_ALG_PS512;
         alg++)
    {
        s = ngx_http_oauth2_client_alg_names[alg];

        if (strlen(s) == len && memcmp(s, name, len) == 0) {
            return alg;
        }
    }

    return NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET;
}


const EVP_MD *
ngx_http_oauth2_client_alg_md(int alg)
{
    switch (alg) {

    case NGX_HTTP_OAUTH2_CLIENT_ALG_RS256:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES256:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_PS256:
        return EVP_sha256();

    case NGX_HTTP_OAUTH2_CLIENT_ALG_RS384:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES384:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_PS384:
        return EVP_sha384();

    case NGX_HTTP_OAUTH2_CLIENT_ALG_RS512:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES512:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_PS512:
        return EVP_sha512();

    default:
        return NULL;
    }
}


/* the width of r and of s in a JOSE ECDSA signature; 0 for RSA */

size_t
ngx_http_oauth2_client_alg_ec_size(int alg)
{
    switch (alg) {

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES256:
        return 32;

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES384:
        return 48;

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES512:
        return 66;

    default:
        return 0;
    }
}
