
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * keyfile_format(), keyfile_check(), keyfile_parse(), keyfile_load():
 * one entry for PEM and JWK files, encrypted or not, and the refusals
 * every form shares.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_file.h"
#include "ngx_http_oauth2_client_keyfile.h"
#include "test_util.h"


#define FORMAT(s)                                                           \
    ngx_http_oauth2_client_keyfile_format((const unsigned char *) s,        \
                                          sizeof(s) - 1)

#define KF(name)  NGX_HTTP_OAUTH2_CLIENT_KEYFILE_ ## name


static void ngx_http_oauth2_client_test_kf_ok(const char *name,
    const char *pub, const char *pass, int format, int encrypted,
    const char *kid, int alg);
static void ngx_http_oauth2_client_test_kf_bad(const char *name,
    const char *pass, const char *want);
static void ngx_http_oauth2_client_test_kf_pkey(EVP_PKEY *pkey,
    const char *want);
static EVP_PKEY *ngx_http_oauth2_client_test_kf_broken_rsa(void);
static void ngx_http_oauth2_client_test_kf_der(void);


static void
ngx_http_oauth2_client_test_kf_ok(const char *name, const char *pub,
    const char *pass, int format, int encrypted, const char *kid, int alg)
{
    int                                rc;
    char                               err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    EVP_PKEY                          *want;
    ngx_http_oauth2_client_keyfile_t   kf;

    err[0] = '\0';

    rc = ngx_http_oauth2_client_keyfile_load(
             ngx_http_oauth2_client_test_path(name),
             (const unsigned char *) pass, pass != NULL ? strlen(pass) : 0,
             &kf, err, sizeof(err));
    CHECK(rc == 0);
    CHECK_STR(err, "");
    CHECK(kf.format == format);
    CHECK(kf.encrypted == encrypted);
    CHECK(kf.alg == alg);

    if (kid == NULL) {
        CHECK(kf.kid == NULL);

    } else {
        CHECK_STR(kf.kid, kid);
    }

    want = ngx_http_oauth2_client_test_pub_key(pub);
    CHECK(ngx_http_oauth2_client_test_same_public(kf.pkey, want));
    EVP_PKEY_free(want);

    ngx_http_oauth2_client_keyfile_free(&kf);
    CHECK(kf.pkey == NULL && kf.kid == NULL);
}


static void
ngx_http_oauth2_client_test_kf_bad(const char *name, const char *pass,
    const char *want)
{
    char                               err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                               prefix[256];
    const char                        *path;
    ngx_http_oauth2_client_keyfile_t   kf;

    path = ngx_http_oauth2_client_test_path(name);
    (void) snprintf(prefix, sizeof(prefix), "\"%s\"", path);

    err[0] = '\0';

    CHECK(ngx_http_oauth2_client_keyfile_load(path,
              (const unsigned char *) pass, pass != NULL ? strlen(pass) : 0,
              &kf, err, sizeof(err)) == -1);
    CHECK(kf.pkey == NULL && kf.kid == NULL);

    /* the message names the file and the problem */
    CHECK_ERR(err, prefix);
    CHECK_ERR(err, want);
}


/* a key in PEM, through keyfile_parse(): must be refused with want */

static void
ngx_http_oauth2_client_test_kf_pkey(EVP_PKEY *pkey, const char *want)
{
    BIO                               *bio;
    char                               err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    long                               len;
    char                              *data;
    ngx_http_oauth2_client_keyfile_t   kf;

    bio = BIO_new(BIO_s_mem());

    CHECK(pkey != NULL && bio != NULL
          && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
             == 1);

    len = BIO_get_mem_data(bio, &data);

    err[0] = '\0';

    CHECK(ngx_http_oauth2_client_keyfile_parse((unsigned char *) data,
                                               (size_t) len, NULL, 0, &kf,
                                               err, sizeof(err)) == -1);
    CHECK_ERR(err, want);
    CHECK(kf.pkey == NULL);

    /* keyfile_check() says the same of the key itself */
    CHECK(ngx_http_oauth2_client_keyfile_check(pkey, err, sizeof(err)) == -1);
    CHECK_ERR(err, want);

    BIO_free(bio);
    EVP_PKEY_free(pkey);
}


/* rsa1 with dmp1 replaced by dmq1: OpenSSL reads it as it is */

static EVP_PKEY *
ngx_http_oauth2_client_test_kf_broken_rsa(void)
{
    BIGNUM        *bn;
    EVP_PKEY      *rsa, *broken;
    OSSL_PARAM    *params, *p;
    EVP_PKEY_CTX  *ctx;

    rsa = ngx_http_oauth2_client_test_pem_key("rsa1.pem");
    if (rsa == NULL) {
        return NULL;
    }

    broken = NULL;
    params = NULL;
    bn = NULL;

    if (EVP_PKEY_todata(rsa, EVP_PKEY_KEYPAIR, &params) == 1
        && EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_EXPONENT2, &bn)
           == 1)
    {
        p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_EXPONENT1);

        if (p != NULL && OSSL_PARAM_set_BN(p, bn) == 1) {
            ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);

            if (ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1) {
                (void) EVP_PKEY_fromdata(ctx, &broken, EVP_PKEY_KEYPAIR,
                                         params);
            }

            EVP_PKEY_CTX_free(ctx);
        }
    }

    BN_clear_free(bn);
    OSSL_PARAM_free(params);
    EVP_PKEY_free(rsa);
    ERR_clear_error();

    CHECK(broken != NULL);

    return broken;
}


static void
ngx_http_oauth2_client_test_kf_der(void)
{
    int                                n;
    FILE                              *fp;
    char                               err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                               path[64];
    EVP_PKEY                          *pkey;
    unsigned char                     *der;
    ngx_http_oauth2_client_keyfile_t   kf;

    pkey = ngx_http_oauth2_client_test_pem_key("ec1.pem");
    if (pkey == NULL) {
        return;
    }

    der = NULL;
    n = i2d_PrivateKey(pkey, &der);
    EVP_PKEY_free(pkey);

    (void) snprintf(path, sizeof(path), "/tmp/oauth2-unit-%ld.der",
                    (long) getpid());

    fp = fopen(path, "wb");
    CHECK(fp != NULL && n > 0);

    if (fp != NULL) {
        (void) fwrite(der, 1, (size_t) n, fp);
        (void) fclose(fp);

        CHECK(ngx_http_oauth2_client_keyfile_load(path, NULL, 0, NULL, err,
                                                  sizeof(err)) == -1);

        CHECK(ngx_http_oauth2_client_keyfile_load(path, NULL, 0, &kf, err,
                                                  sizeof(err)) == -1);
        CHECK_ERR(err, "neither a PEM nor a JWK private key (a DER file?");

        (void) unlink(path);
    }

    OPENSSL_free(der);
}


void
ngx_http_oauth2_client_test_keyfile(void)
{
    char                            *pass;
    char                             err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                           n;
    ngx_http_oauth2_client_file_t    f;

    /* telling PEM from JWK */

    CHECK(FORMAT("{\"kty\":\"EC\"}") == KF(JWK));
    CHECK(FORMAT(" \r\n\t{") == KF(JWK));
    CHECK(FORMAT("\xef\xbb\xbf{\"keys\":[]}") == KF(JWK));
    CHECK(FORMAT("-----BEGIN PRIVATE KEY-----\n") == KF(PEM));
    CHECK(FORMAT("Bag Attributes\n    localKeyID: 01\n"
                 "-----BEGIN PRIVATE KEY-----\n") == KF(PEM));
    CHECK(FORMAT("\n\n-----BEGIN EC PRIVATE KEY-----") == KF(PEM));
    CHECK(FORMAT("-----BEGIN") == KF(UNKNOWN));
    CHECK(FORMAT("[{\"kty\":\"EC\"}]") == KF(UNKNOWN));
    CHECK(FORMAT("\x30\x82\x04\xbd") == KF(UNKNOWN));
    CHECK(FORMAT("") == KF(UNKNOWN));
    CHECK(ngx_http_oauth2_client_keyfile_format(NULL, 3) == KF(UNKNOWN));

    /* every form, one call */

    ngx_http_oauth2_client_test_kf_ok("rsa1.pem", "rsa1.pub.pem", NULL,
                                      KF(PEM), 0, NULL,
                                      NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET);
    ngx_http_oauth2_client_test_kf_ok("ec-sec1.pem", "ec-sec1.pub.pem", NULL,
                                      KF(PEM), 0, NULL,
                                      NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET);
    ngx_http_oauth2_client_test_kf_ok("rsa1.jwk", "rsa1.pub.pem", NULL,
                                      KF(JWK), 0, "kid-rsa1-Qx7_2Lm",
                                      NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET);
    ngx_http_oauth2_client_test_kf_ok("ec1-alg.jwk", "ec1.pub.pem", NULL,
                                      KF(JWK), 0, "kid-ec1-Qx7_2Lm",
                                      NGX_HTTP_OAUTH2_CLIENT_ALG_ES256);
    ngx_http_oauth2_client_test_kf_ok("ec521.jwk", "ec521.pub.pem",
                                      "a passphrase nobody needs", KF(JWK),
                                      0, "kid-ec521-Qx7_2Lm",
                                      NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET);
    ngx_http_oauth2_client_test_kf_ok("rsa1.jwks", "rsa1.pub.pem", NULL,
                                      KF(JWK), 0, "kid-rsa1-Qx7_2Lm",
                                      NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET);
    ngx_http_oauth2_client_test_kf_ok("ec384.pem", "ec384.pub.pem",
                                      "a passphrase nobody needs", KF(PEM),
                                      0, NULL,
                                      NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET);

    /* the passphrase as the caller gets it: a file, its newline trimmed */

    CHECK(ngx_http_oauth2_client_file_read(
              ngx_http_oauth2_client_test_path("rsa-enc.crlf.pass"),
              NGX_HTTP_OAUTH2_CLIENT_FILE_MAX, &f, err, sizeof(err)) == 0);

    n = ngx_http_oauth2_client_passphrase_trim(f.data, f.len);
    pass = malloc(n + 1);

    if (pass != NULL) {
        memcpy(pass, f.data, n);
        pass[n] = '\0';

        ngx_http_oauth2_client_test_kf_ok("rsa-enc-legacy.pem",
                                          "rsa-enc-legacy.pub.pem", pass,
                                          KF(PEM), 1, NULL,
                                          NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET);
        ngx_http_oauth2_client_test_kf_ok("ec-enc.pem", "ec-enc.pub.pem",
                                          pass, KF(PEM), 1, NULL,
                                          NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET);
        free(pass);
    }

    ngx_http_oauth2_client_file_free(&f);

    /* refusals, each naming the file */

    ngx_http_oauth2_client_test_kf_bad("rsa-enc.pem", NULL,
                                       "the private key is encrypted and no "
                                       "passphrase was given");
    ngx_http_oauth2_client_test_kf_bad("ec-enc-legacy.pem", "nope",
                                       "wrong passphrase");
    ngx_http_oauth2_client_test_kf_bad("rsa1024.pem", NULL,
                                       "RSA key of 1024 bits is too short, "
                                       "at least 2048 are required");
    ngx_http_oauth2_client_test_kf_bad("rsa1024.jwk", NULL,
                                       "RSA key of 1024 bits is too short");
    ngx_http_oauth2_client_test_kf_bad("ec1.pub.jwk", NULL,
                                       "the JWK is a public key");
    ngx_http_oauth2_client_test_kf_bad("rsa1.pub.pem", NULL,
                                       "no private key found");
    ngx_http_oauth2_client_test_kf_bad("two.jwks", NULL,
                                       "a JWKS with 2 keys");
    ngx_http_oauth2_client_test_kf_bad("rsa1.crt.x5t", NULL,
                                       "neither a PEM nor a JWK");

    CHECK(ngx_http_oauth2_client_keyfile_load("/nonexistent/key", NULL, 0,
                                              NULL, err, sizeof(err)) == -1);
    CHECK_ERR(err, "open() \"/nonexistent/key\" failed");

    ngx_http_oauth2_client_test_kf_der();

    /* what every form shares: types, curves, consistency */

    ngx_http_oauth2_client_test_kf_pkey(
        EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"),
        "EC key on curve secp256k1 is not supported");
    ngx_http_oauth2_client_test_kf_pkey(
        EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
        "unsupported key type ED25519");
    ngx_http_oauth2_client_test_kf_pkey(
        ngx_http_oauth2_client_test_kf_broken_rsa(),
        "the private key is invalid: its parts do not make one RSA key");

    CHECK(ngx_http_oauth2_client_keyfile_check(NULL, err, sizeof(err)) == -1);
    ngx_http_oauth2_client_keyfile_free(NULL);
}
