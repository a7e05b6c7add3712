
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: private key parsing.  The key file is the operator's,
 * not the network's, but it is read as root at startup and its parser
 * (our triage of JWK, certificates and encrypted keys, then OpenSSL's
 * PEM and DER decoders) must not fall over on a truncated, mangled or
 * mistaken file.  A key that is accepted is also taken through what the
 * module does next with it: the default algorithm, the algorithm check,
 * the fingerprint and one signature.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_key.h"
#include "ngx_http_oauth2_client_jose.h"


static void
ngx_fuzz_check_err(const char *err, size_t errlen)
{
    if (memchr(err, '\0', errlen) == NULL) {
        abort();
    }
}


static void
ngx_fuzz_use_key(EVP_PKEY *pkey)
{
    int            alg;
    char           err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t         siglen;
    unsigned char  fp[32];
    unsigned char  sig[512];

    static const unsigned char  input[] = "eyJhbGciOiJFUzI1NiJ9.e30";

    memset(err, 0xaa, sizeof(err));

    alg = ngx_http_oauth2_client_key_default_alg(pkey, err, sizeof(err));

    /* key_parse() refuses every key that has no algorithm */

    if (alg == NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET
        || ngx_http_oauth2_client_alg_name(alg) == NULL)
    {
        abort();
    }

    if (ngx_http_oauth2_client_key_check_alg(pkey, alg, err, sizeof(err))
        != 0)
    {
        abort();
    }

    if (ngx_http_oauth2_client_key_fingerprint(pkey, fp) != 0) {
        abort();
    }

    /*
     * A mangled key that OpenSSL still accepts may fail to sign (an RSA
     * key whose parts do not fit together, say): that is an error to
     * report, not a crash; a signature made must have the JWS length.
     */

    siglen = 0;
    memset(err, 0xaa, sizeof(err));

    if (ngx_http_oauth2_client_jws_sign(pkey, alg, input, sizeof(input) - 1,
                                        sig, &siglen, err, sizeof(err))
        == 0)
    {
        switch (alg) {

        case NGX_HTTP_OAUTH2_CLIENT_ALG_ES256:
            if (siglen != 64) {
                abort();
            }
            break;

        case NGX_HTTP_OAUTH2_CLIENT_ALG_ES384:
            if (siglen != 96) {
                abort();
            }
            break;

        case NGX_HTTP_OAUTH2_CLIENT_ALG_ES512:
            if (siglen != 132) {
                abort();
            }
            break;

        default:
            if (siglen != (size_t) EVP_PKEY_get_size(pkey)) {
                abort();
            }
        }

    } else {
        ngx_fuzz_check_err(err, sizeof(err));
    }

    ERR_clear_error();
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    EVP_PKEY  *pkey;

    memset(err, 0xaa, sizeof(err));

    pkey = ngx_http_oauth2_client_key_parse(data, size, err, sizeof(err));

    if (pkey == NULL) {
        ngx_fuzz_check_err(err, sizeof(err));

        /* every refusal says why */

        if (err[0] == '\0') {
            abort();
        }

        /* the OpenSSL error queue is left empty for the next user */

        if (ERR_peek_error() != 0) {
            abort();
        }

        return 0;
    }

    ngx_fuzz_use_key(pkey);

    EVP_PKEY_free(pkey);

    return 0;
}
