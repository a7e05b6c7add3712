
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Certificate thumbprints against those openssl computed (t/keys/gen.sh:
 * openssl x509 -outform DER | openssl dgst | base64url), the key match,
 * validity dates.
 */


#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_cert.h"
#include "test_util.h"


static void ngx_http_oauth2_client_test_cert_one(const char *name,
    const char *key, const char *other);


static void
ngx_http_oauth2_client_test_cert_one(const char *name, const char *key,
    const char *other)
{
    X509      *x;
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char       file[64];
    char       x5t[NGX_HTTP_OAUTH2_CLIENT_X5T_LEN + 1];
    char       x5t_s256[NGX_HTTP_OAUTH2_CLIENT_X5T_S256_LEN + 1];
    char      *want;
    EVP_PKEY  *pkey;

    (void) snprintf(file, sizeof(file), "%s.crt", name);
    x = ngx_http_oauth2_client_cert_load(
            ngx_http_oauth2_client_test_path(file), err, sizeof(err));
    CHECK(x != NULL);

    if (x == NULL) {
        return;
    }

    CHECK(ngx_http_oauth2_client_cert_thumbprints(x, x5t, x5t_s256) == 0);

    (void) snprintf(file, sizeof(file), "%s.crt.x5t", name);
    want = ngx_http_oauth2_client_test_read_line(file);
    CHECK_STR(x5t, want);
    free(want);

    (void) snprintf(file, sizeof(file), "%s.crt.x5t256", name);
    want = ngx_http_oauth2_client_test_read_line(file);
    CHECK_STR(x5t_s256, want);
    free(want);

    CHECK(ngx_http_oauth2_client_cert_thumbprints(x, NULL, x5t_s256) == 0);
    CHECK(strlen(x5t_s256) == NGX_HTTP_OAUTH2_CLIENT_X5T_S256_LEN);

    pkey = ngx_http_oauth2_client_test_pem_key(key);
    CHECK(ngx_http_oauth2_client_cert_check_key(x, pkey, err, sizeof(err))
          == 0);
    EVP_PKEY_free(pkey);

    pkey = ngx_http_oauth2_client_test_pem_key(other);
    CHECK(ngx_http_oauth2_client_cert_check_key(x, pkey, err, sizeof(err))
          == -1);
    CHECK_ERR(err, "the certificate does not match the private key");
    EVP_PKEY_free(pkey);

    /* gen.sh made it for ten years from today */

    CHECK(ngx_http_oauth2_client_cert_check_time(x, time(NULL), err,
                                                 sizeof(err)) == 0);
    CHECK(ngx_http_oauth2_client_cert_check_time(x, time(NULL)
                                                    + 11 * 366 * 86400,
                                                 err, sizeof(err)) == 1);
    CHECK_ERR(err, "the certificate has expired");
    CHECK(ngx_http_oauth2_client_cert_check_time(x, 86400, err, sizeof(err))
          == 1);
    CHECK_ERR(err, "the certificate is not valid yet");

    X509_free(x);
}


void
ngx_http_oauth2_client_test_cert(void)
{
    X509    *x;
    char     err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char    *a, *b, *both;
    size_t   alen, blen;

    ngx_http_oauth2_client_test_cert_one("rsa1", "rsa1.pem", "rsa2.pem");
    ngx_http_oauth2_client_test_cert_one("ec1", "ec1.pem", "rsa1.pem");

    /* the key before the certificate in one file: the key is skipped */

    a = ngx_http_oauth2_client_test_read("rsa1.pem", &alen);
    b = ngx_http_oauth2_client_test_read("rsa1.crt", &blen);
    both = malloc(alen + blen);

    if (a != NULL && b != NULL && both != NULL) {
        memcpy(both, a, alen);
        memcpy(both + alen, b, blen);

        x = ngx_http_oauth2_client_cert_parse((unsigned char *) both,
                                              alen + blen, err, sizeof(err));
        CHECK(x != NULL);
        X509_free(x);

        x = ngx_http_oauth2_client_cert_parse((unsigned char *) a, alen, err,
                                              sizeof(err));
        CHECK(x == NULL);
        CHECK_ERR(err, "no PEM certificate found");
    }

    free(a);
    free(b);
    free(both);

    x = ngx_http_oauth2_client_cert_load(
            ngx_http_oauth2_client_test_path("rsa1.pub.pem"), err,
            sizeof(err));
    CHECK(x == NULL);
    CHECK_ERR(err, "rsa1.pub.pem\": no PEM certificate found");

    x = ngx_http_oauth2_client_cert_load("/nonexistent/c.pem", err,
                                         sizeof(err));
    CHECK(x == NULL);
    CHECK_ERR(err, "open() \"/nonexistent/c.pem\" failed");

    CHECK(ngx_http_oauth2_client_cert_parse(NULL, 0, err, sizeof(err))
          == NULL);
    CHECK(ngx_http_oauth2_client_cert_thumbprints(NULL, NULL, NULL) == -1);
    CHECK(ngx_http_oauth2_client_cert_check_key(NULL, NULL, err,
                                                sizeof(err)) == -1);
    CHECK(ngx_http_oauth2_client_cert_check_time(NULL, 0, err, sizeof(err))
          == -1);
}
