
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Private key files, PEM or JWK by their content.  See
 * ngx_http_oauth2_client_keyfile.h.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_file.h"
#include "ngx_http_oauth2_client_pem.h"
#include "ngx_http_oauth2_client_jwk.h"
#include "ngx_http_oauth2_client_keyfile.h"


#define NGX_HTTP_OAUTH2_CLIENT_KF_RSA_MIN      2048

/* the signing buffer of jws_sign() holds a 4096-bit signature at most */
#define NGX_HTTP_OAUTH2_CLIENT_KF_RSA_MAX      4096


static int ngx_http_oauth2_client_keyfile_consistent(EVP_PKEY *pkey,
    char *err, size_t errlen);


int
ngx_http_oauth2_client_keyfile_format(const unsigned char *data, size_t len)
{
    size_t  i, n;

    static const char  begin[] = "-----BEGIN ";

    if (data == NULL) {
        return NGX_HTTP_OAUTH2_CLIENT_KEYFILE_UNKNOWN;
    }

    i = 0;

    /* editors on some systems start UTF-8 files with a byte order mark */

    if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf) {
        i = 3;
    }

    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r'
                       || data[i] == '\n'))
    {
        i++;
    }

    if (i < len && data[i] == '{') {
        return NGX_HTTP_OAUTH2_CLIENT_KEYFILE_JWK;
    }

    /* PEM may follow text: openssl's "Bag Attributes", comments */

    n = sizeof(begin) - 1;

    for ( /* void */ ; n <= len && i <= len - n; i++) {
        if (data[i] == '-' && memcmp(data + i, begin, n) == 0) {
            return NGX_HTTP_OAUTH2_CLIENT_KEYFILE_PEM;
        }
    }

    return NGX_HTTP_OAUTH2_CLIENT_KEYFILE_UNKNOWN;
}


/*
 * OpenSSL reads a PEM key's parts without checking that they belong
 * together; a key edited by hand or damaged would make signatures that
 * nobody can verify, or leak the private key through a faulty CRT
 * signature (the Bellcore attack): check it once, at load.
 */

static int
ngx_http_oauth2_client_keyfile_consistent(EVP_PKEY *pkey, char *err,
    size_t errlen)
{
    int            rc;
    EVP_PKEY_CTX  *ctx;

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    rc = ctx != NULL ? EVP_PKEY_check(ctx) : 0;

    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();

    if (rc != 1) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the private key is invalid: its parts "
                                     "do not make one %s key",
                                     EVP_PKEY_get_base_id(pkey)
                                     == EVP_PKEY_RSA ? "RSA" : "EC");
        return -1;
    }

    return 0;
}


int
ngx_http_oauth2_client_keyfile_check(EVP_PKEY *pkey, char *err,
    size_t errlen)
{
    int          bits;
    char         group[64];
    size_t       len;
    const char  *type;

    if (pkey == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no private key");
        return -1;
    }

    switch (EVP_PKEY_get_base_id(pkey)) {

    case EVP_PKEY_RSA:
        bits = EVP_PKEY_get_bits(pkey);

        if (bits < NGX_HTTP_OAUTH2_CLIENT_KF_RSA_MIN) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "RSA key of %d bits is too short, "
                                         "at least %d are required", bits,
                                         NGX_HTTP_OAUTH2_CLIENT_KF_RSA_MIN);
            return -1;
        }

        if (bits > NGX_HTTP_OAUTH2_CLIENT_KF_RSA_MAX) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "RSA key of %d bits is too long, "
                                         "at most %d are supported", bits,
                                         NGX_HTTP_OAUTH2_CLIENT_KF_RSA_MAX);
            return -1;
        }

        break;

    case EVP_PKEY_EC:
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                           group, sizeof(group), &len)
            != 1)
        {
            /* explicit curve parameters */
            ERR_clear_error();
            (void) snprintf(group, sizeof(group), "(unnamed)");
        }

        /* OpenSSL names the curves so; providers may use NIST names */

        if (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0
            && strcmp(group, "secp384r1") != 0 && strcmp(group, "P-384") != 0
            && strcmp(group, "secp521r1") != 0 && strcmp(group, "P-521") != 0)
        {
            ngx_http_oauth2_client_error(err, errlen,
                                         "EC key on curve %s is not "
                                         "supported, only P-256, P-384 and "
                                         "P-521 are", group);
            return -1;
        }

        break;

    default:
        type = EVP_PKEY_get0_type_name(pkey);
        ngx_http_oauth2_client_error(err, errlen,
                                     "unsupported key type %s, only RSA and "
                                     "EC keys are supported",
                                     type != NULL ? type : "(unknown)");
        return -1;
    }

    return ngx_http_oauth2_client_keyfile_consistent(pkey, err, errlen);
}


int
ngx_http_oauth2_client_keyfile_parse(const unsigned char *data, size_t len,
    const unsigned char *pass, size_t passlen,
    ngx_http_oauth2_client_keyfile_t *kf, char *err, size_t errlen)
{
    ngx_http_oauth2_client_jwk_t  jwk;

    if (kf == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "keyfile_parse() called without a "
                                     "result");
        return -1;
    }

    memset(kf, 0, sizeof(ngx_http_oauth2_client_keyfile_t));

    kf->format = ngx_http_oauth2_client_keyfile_format(data, len);

    switch (kf->format) {

    case NGX_HTTP_OAUTH2_CLIENT_KEYFILE_JWK:
        if (ngx_http_oauth2_client_jwk_parse(data, len, &jwk, err, errlen)
            != 0)
        {
            goto failed;
        }

        kf->pkey = jwk.pkey;
        kf->kid = jwk.kid;
        kf->alg = jwk.alg;
        break;

    case NGX_HTTP_OAUTH2_CLIENT_KEYFILE_PEM:
        kf->pkey = ngx_http_oauth2_client_pem_parse(data, len, pass, passlen,
                                                    &kf->encrypted, err,
                                                    errlen);
        if (kf->pkey == NULL) {
            goto failed;
        }

        break;

    default:
        ngx_http_oauth2_client_error(err, errlen,
                                     "neither a PEM nor a JWK private key "
                                     "(a DER file? \"openssl pkey -in KEY "
                                     "-out KEY.pem\" converts it)");
        goto failed;
    }

    if (ngx_http_oauth2_client_keyfile_check(kf->pkey, err, errlen) == 0) {
        return 0;
    }

failed:

    ngx_http_oauth2_client_keyfile_free(kf);

    return -1;
}


int
ngx_http_oauth2_client_keyfile_load(const char *path,
    const unsigned char *pass, size_t passlen,
    ngx_http_oauth2_client_keyfile_t *kf, char *err, size_t errlen)
{
    int                             rc;
    char                            msg[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    ngx_http_oauth2_client_file_t   f;

    if (kf != NULL) {
        memset(kf, 0, sizeof(ngx_http_oauth2_client_keyfile_t));
    }

    if (ngx_http_oauth2_client_file_read(path, NGX_HTTP_OAUTH2_CLIENT_FILE_MAX,
                                         &f, err, errlen)
        != 0)
    {
        return -1;
    }

    if (f.len == 0) {
        ngx_http_oauth2_client_file_free(&f);
        ngx_http_oauth2_client_error(err, errlen, "\"%s\" is empty", path);
        return -1;
    }

    rc = ngx_http_oauth2_client_keyfile_parse(f.data, f.len, pass, passlen,
                                              kf, msg, sizeof(msg));

    ngx_http_oauth2_client_file_free(&f);

    if (rc != 0) {
        ngx_http_oauth2_client_error(err, errlen, "\"%s\": %s", path, msg);
    }

    return rc;
}


void
ngx_http_oauth2_client_keyfile_free(ngx_http_oauth2_client_keyfile_t *kf)
{
    if (kf == NULL) {
        return;
    }

    EVP_PKEY_free(kf->pkey);
    free(kf->kid);

    memset(kf, 0, sizeof(ngx_http_oauth2_client_keyfile_t));
}
