
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * pem_parse(): plain and encrypted PEM keys that openssl made (t/keys),
 * with right, wrong and missing passphrases.  A key read is compared
 * with the public key openssl wrote beside it.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_pem.h"
#include "test_util.h"


#define PASS  "oauth2-test-pass"


static EVP_PKEY *ngx_http_oauth2_client_test_pub(const char *name);
static void ngx_http_oauth2_client_test_pem_ok(const char *name,
    const char *pub, const char *pass, size_t passlen, int want_encrypted);
static void ngx_http_oauth2_client_test_pem_bad(const char *name,
    const char *pass, size_t passlen, const char *want);


static EVP_PKEY *
ngx_http_oauth2_client_test_pub(const char *name)
{
    BIO       *bio;
    EVP_PKEY  *pkey;

    bio = BIO_new_file(ngx_http_oauth2_client_test_path(name), "r");
    if (bio == NULL) {
        return NULL;
    }

    pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);

    return pkey;
}


static void
ngx_http_oauth2_client_test_pem_ok(const char *name, const char *pub,
    const char *pass, size_t passlen, int want_encrypted)
{
    int        encrypted;
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char      *data;
    size_t     len;
    EVP_PKEY  *pkey, *want;

    data = ngx_http_oauth2_client_test_read(name, &len);
    if (data == NULL) {
        return;
    }

    err[0] = '\0';
    encrypted = -1;

    pkey = ngx_http_oauth2_client_pem_parse((unsigned char *) data, len,
                                            (const unsigned char *) pass,
                                            passlen, &encrypted, err,
                                            sizeof(err));
    CHECK(pkey != NULL);
    CHECK_STR(err, "");
    CHECK(encrypted == want_encrypted);

    want = ngx_http_oauth2_client_test_pub(pub);
    CHECK(want != NULL);
    CHECK(ngx_http_oauth2_client_test_same_public(pkey, want));

    EVP_PKEY_free(want);
    EVP_PKEY_free(pkey);
    OPENSSL_cleanse(data, len);
    free(data);
}


static void
ngx_http_oauth2_client_test_pem_bad(const char *name, const char *pass,
    size_t passlen, const char *want)
{
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char      *data;
    size_t     len;
    EVP_PKEY  *pkey;

    data = ngx_http_oauth2_client_test_read(name, &len);
    if (data == NULL) {
        return;
    }

    err[0] = '\0';

    pkey = ngx_http_oauth2_client_pem_parse((unsigned char *) data, len,
                                            (const unsigned char *) pass,
                                            passlen, NULL, err, sizeof(err));
    CHECK(pkey == NULL);
    CHECK_ERR(err, want);

    EVP_PKEY_free(pkey);
    free(data);
}


void
ngx_http_oauth2_client_test_pem(void)
{
    int        i, encrypted;
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char      *utf8, *a, *b, *both;
    size_t     alen, blen;
    EVP_PKEY  *pkey;

    static const char  *encs[] = {
        "rsa-enc", "rsa-enc-legacy", "ec-enc", "ec-enc-legacy"
    };

    char  name[64], pub[64];

    /* unencrypted: PKCS#8, PKCS#1, SEC1; a passphrase is not needed */

    ngx_http_oauth2_client_test_pem_ok("rsa1.pem", "rsa1.pub.pem", NULL, 0,
                                       0);
    ngx_http_oauth2_client_test_pem_ok("rsa-pkcs1.pem", "rsa-pkcs1.pub.pem",
                                       NULL, 0, 0);
    ngx_http_oauth2_client_test_pem_ok("ec-sec1.pem", "ec-sec1.pub.pem",
                                       NULL, 0, 0);
    ngx_http_oauth2_client_test_pem_ok("ec1.pem", "ec1.pub.pem", PASS,
                                       sizeof(PASS) - 1, 0);

    for (i = 0; i < (int) (sizeof(encs) / sizeof(encs[0])); i++) {
        (void) snprintf(name, sizeof(name), "%s.pem", encs[i]);
        (void) snprintf(pub, sizeof(pub), "%s.pub.pem", encs[i]);

        ngx_http_oauth2_client_test_pem_ok(name, pub, PASS, sizeof(PASS) - 1,
                                           1);

        ngx_http_oauth2_client_test_pem_bad(name, NULL, 0,
                                            "the private key is encrypted "
                                            "and no passphrase was given");
        ngx_http_oauth2_client_test_pem_bad(name, "wrong", 5,
                                            "wrong passphrase");
        ngx_http_oauth2_client_test_pem_bad(name, PASS "\n",
                                            sizeof(PASS), "wrong passphrase");
        ngx_http_oauth2_client_test_pem_bad(name, "", 0, "wrong passphrase");
    }

    /* the passphrase is bytes: UTF-8 as openssl -passout file: took it */

    utf8 = ngx_http_oauth2_client_test_read_line("ec-enc-utf8.pass");
    if (utf8 != NULL) {
        ngx_http_oauth2_client_test_pem_ok("ec-enc-utf8.pem",
                                           "ec-enc-utf8.pub.pem", utf8,
                                           strlen(utf8), 1);
        free(utf8);
    }

    /* a passphrase with a NUL inside is not cut at the NUL */
    ngx_http_oauth2_client_test_pem_bad("ec-enc.pem", PASS "\0x",
                                        sizeof(PASS) + 1, "wrong passphrase");

    ngx_http_oauth2_client_test_pem_bad("rsa-enc.pem",
                                        PASS, NGX_HTTP_OAUTH2_CLIENT_PASS_MAX
                                              + 1, "too long");

    ngx_http_oauth2_client_test_pem_bad("rsa1.pub.pem", NULL, 0,
                                        "no private key found (a "
                                        "certificate or public key?)");
    ngx_http_oauth2_client_test_pem_bad("cert.pem", NULL, 0,
                                        "no private key found (a "
                                        "certificate or public key?)");
    ngx_http_oauth2_client_test_pem_bad("rsa1.jwk", NULL, 0,
                                        "no PEM private key found");

    CHECK(ngx_http_oauth2_client_pem_parse(NULL, 0, NULL, 0, &encrypted,
                                           err, sizeof(err)) == NULL);
    CHECK_ERR(err, "no key data");

    /* a certificate before the key, as in a combined file, is skipped */

    a = ngx_http_oauth2_client_test_read("rsa1.crt", &alen);
    b = ngx_http_oauth2_client_test_read("rsa1.pem", &blen);
    both = malloc(alen + blen + 1);

    if (a != NULL && b != NULL && both != NULL) {
        memcpy(both, a, alen);
        memcpy(both + alen, b, blen);

        pkey = ngx_http_oauth2_client_pem_parse((unsigned char *) both,
                                                alen + blen, NULL, 0, NULL,
                                                err, sizeof(err));
        CHECK(pkey != NULL);
        EVP_PKEY_free(pkey);
    }

    free(a);
    free(b);
    free(both);

    /* a truncated encrypted key is damaged, not a wrong passphrase */

    a = ngx_http_oauth2_client_test_read("rsa-enc.pem", &alen);

    if (a != NULL) {
        pkey = ngx_http_oauth2_client_pem_parse((unsigned char *) a,
                                                alen / 2,
                                                (unsigned char *) PASS,
                                                sizeof(PASS) - 1, &encrypted,
                                                err, sizeof(err));
        CHECK(pkey == NULL);
        CHECK(encrypted == 1);
        CHECK_ERR(err, "could not be read (damaged");
        free(a);
    }
}
