
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Unit tests of the crypto building blocks of DPoP, JWK keys, encrypted
 * PEM, client secrets and certificates.  The keys come from t/keys
 * (openssl and CryptX made them, see t/keys/gen.sh); signatures are
 * checked with OpenSSL's verify calls here and by Crypt::JWT in
 * t/unit/verify.pl.  Prints one "N passed, N failed" line at the end.
 */


#include <stdio.h>

#include <openssl/err.h>

#include "test_util.h"


int
main(void)
{
    ngx_http_oauth2_client_test_file();
    ngx_http_oauth2_client_test_pem();
    ngx_http_oauth2_client_test_jwk();
    ngx_http_oauth2_client_test_keyfile();
    ngx_http_oauth2_client_test_dpop();
    ngx_http_oauth2_client_test_jwt();
    ngx_http_oauth2_client_test_secret();
    ngx_http_oauth2_client_test_cert();
    ngx_http_oauth2_client_test_creds();

    /* every function leaves OpenSSL's error queue as it found it */
    CHECK(ERR_peek_error() == 0);

    return ngx_http_oauth2_client_test_report();
}
