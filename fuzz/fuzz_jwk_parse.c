
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: JWK and JWKS parsing.  The key file is the
 * operator's, read as root at startup: a mangled, truncated or mistaken
 * JWK must be refused with a message, never crash, leak or leave
 * jansson with our allocator.  A key that is accepted is taken through
 * what the module does next with it: its public JWK (which must hold
 * nothing private), its thumbprint and one signature.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_key.h"
#include "ngx_http_oauth2_client_jose.h"
#include "ngx_http_oauth2_client_jwk.h"


static void
ngx_fuzz_check_err(const char *err, size_t errlen)
{
    if (memchr(err, '\0', errlen) == NULL) {
        abort();
    }
}


static void
ngx_fuzz_use_key(ngx_http_oauth2_client_jwk_t *jwk)
{
    int            alg;
    char           err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char           jkt[NGX_HTTP_OAUTH2_CLIENT_JKT_LEN + 1];
    char          *pub;
    size_t         len, siglen;
    unsigned char  sig[512];

    static const unsigned char  input[] = "eyJhbGciOiJFUzI1NiJ9.e30";

    /* jwk_parse() checked the key: everything after must work */

    alg = jwk->alg;

    if (alg == NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET) {
        alg = ngx_http_oauth2_client_key_default_alg(jwk->pkey, err,
                                                     sizeof(err));
    }

    if (ngx_http_oauth2_client_key_check_alg(jwk->pkey, alg, err,
                                             sizeof(err))
        != 0)
    {
        abort();
    }

    pub = ngx_http_oauth2_client_jwk_public(jwk->pkey, &len, err,
                                            sizeof(err));
    if (pub == NULL || strlen(pub) != len || strstr(pub, "\"d\"") != NULL) {
        abort();
    }

    free(pub);

    memset(jkt, 0xaa, sizeof(jkt));

    if (ngx_http_oauth2_client_jwk_thumbprint(jwk->pkey, jkt, err,
                                              sizeof(err))
        != 0
        || strlen(jkt) != NGX_HTTP_OAUTH2_CLIENT_JKT_LEN)
    {
        abort();
    }

    if (ngx_http_oauth2_client_jws_sign(jwk->pkey, alg, input,
                                        sizeof(input) - 1, sig, &siglen, err,
                                        sizeof(err))
        != 0)
    {
        abort();
    }

    if (jwk->kid != NULL && strlen(jwk->kid) == 0) {
        abort();
    }

    ERR_clear_error();
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                            rc;
    char                           err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    json_free_t                    free_fn;
    json_malloc_t                  malloc_fn;
    ngx_http_oauth2_client_jwk_t   jwk;

    memset(err, 0xaa, sizeof(err));

    rc = ngx_http_oauth2_client_jwk_parse(data, size, &jwk, err, sizeof(err));

    /* the cleansing free is jansson's only for the time of the call */

    json_get_alloc_funcs(&malloc_fn, &free_fn);

    if (malloc_fn != malloc || free_fn != free) {
        abort();
    }

    if (rc != 0) {
        ngx_fuzz_check_err(err, sizeof(err));

        /* every refusal says why, and the error queue is left empty */

        if (err[0] == '\0' || jwk.pkey != NULL || jwk.kid != NULL
            || ERR_peek_error() != 0)
        {
            abort();
        }

        return 0;
    }

    ngx_fuzz_use_key(&jwk);

    ngx_http_oauth2_client_jwk_free(&jwk);

    return 0;
}
