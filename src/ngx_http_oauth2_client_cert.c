
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Client certificates: thumbprints and the match with the private key.
 * See ngx_http_oauth2_client_cert.h.
 */


#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_encode.h"
#include "ngx_http_oauth2_client_file.h"
#include "ngx_http_oauth2_client_cert.h"


static void ngx_http_oauth2_client_cert_describe(EVP_PKEY *pkey, char *buf,
    size_t size);


X509 *
ngx_http_oauth2_client_cert_parse(const unsigned char *data, size_t len,
    char *err, size_t errlen)
{
    BIO   *bio;
    X509  *x;

    if (data == NULL || len == 0 || len > INT_MAX) {
        ngx_http_oauth2_client_error(err, errlen, "no certificate data");
        return NULL;
    }

    bio = BIO_new_mem_buf(data, (int) len);
    if (bio == NULL) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen, "BIO_new_mem_buf() failed");
        return NULL;
    }

    /* a NULL callback would prompt: there is nothing encrypted to read */
    x = PEM_read_bio_X509(bio, NULL, NULL, (void *) "");

    BIO_free(bio);
    ERR_clear_error();

    if (x == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "no PEM certificate found (\"BEGIN "
                                     "CERTIFICATE\")");
    }

    return x;
}


X509 *
ngx_http_oauth2_client_cert_load(const char *path, char *err, size_t errlen)
{
    X509                           *x;
    char                            msg[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    ngx_http_oauth2_client_file_t   f;

    if (ngx_http_oauth2_client_file_read(path, NGX_HTTP_OAUTH2_CLIENT_FILE_MAX,
                                         &f, err, errlen)
        != 0)
    {
        return NULL;
    }

    /* the file may hold the private key too: it is cleansed */

    x = ngx_http_oauth2_client_cert_parse(f.data, f.len, msg, sizeof(msg));

    ngx_http_oauth2_client_file_free(&f);

    if (x == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "\"%s\": %s", path, msg);
    }

    return x;
}


int
ngx_http_oauth2_client_cert_thumbprints(X509 *x, char *x5t, char *x5t_s256)
{
    int             n, rc;
    unsigned char  *der;
    unsigned char   md[32];

    if (x == NULL) {
        return -1;
    }

    der = NULL;

    n = i2d_X509(x, &der);
    if (n <= 0) {
        ERR_clear_error();
        return -1;
    }

    rc = 0;

    if (x5t != NULL) {
        if (EVP_Digest(der, (size_t) n, md, NULL, EVP_sha1(), NULL) == 1) {
            x5t[ngx_http_oauth2_client_base64url_encode(
                    (unsigned char *) x5t, md, 20)] = '\0';

        } else {
            rc = -1;
        }
    }

    if (x5t_s256 != NULL) {
        if (EVP_Digest(der, (size_t) n, md, NULL, EVP_sha256(), NULL) == 1) {
            x5t_s256[ngx_http_oauth2_client_base64url_encode(
                         (unsigned char *) x5t_s256, md, 32)] = '\0';

        } else {
            rc = -1;
        }
    }

    OPENSSL_free(der);
    ERR_clear_error();

    return rc;
}


static void
ngx_http_oauth2_client_cert_describe(EVP_PKEY *pkey, char *buf, size_t size)
{
    const char  *type;

    if (pkey == NULL) {
        (void) snprintf(buf, size, "none");
        return;
    }

    type = EVP_PKEY_get0_type_name(pkey);

    (void) snprintf(buf, size, "%s %d bits", type != NULL ? type : "unknown",
                    EVP_PKEY_get_bits(pkey));
}


int
ngx_http_oauth2_client_cert_check_key(X509 *x, EVP_PKEY *pkey, char *err,
    size_t errlen)
{
    int        rc;
    char       a[64], b[64];
    EVP_PKEY  *pub;

    if (x == NULL || pkey == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "no certificate or no private key");
        return -1;
    }

    pub = X509_get0_pubkey(x);

    rc = pub != NULL ? EVP_PKEY_eq(pub, pkey) : 0;

    ERR_clear_error();

    if (rc == 1) {
        return 0;
    }

    ngx_http_oauth2_client_cert_describe(pub, a, sizeof(a));
    ngx_http_oauth2_client_cert_describe(pkey, b, sizeof(b));

    ngx_http_oauth2_client_error(err, errlen,
                                 "the certificate does not match the "
                                 "private key (certificate: %s, key: %s)",
                                 a, b);
    return -1;
}


int
ngx_http_oauth2_client_cert_check_time(X509 *x, time_t now, char *err,
    size_t errlen)
{
    time_t  t;

    if (x == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no certificate");
        return -1;
    }

    t = now;

    if (X509_cmp_time(X509_get0_notBefore(x), &t) > 0) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the certificate is not valid yet");
        return 1;
    }

    if (X509_cmp_time(X509_get0_notAfter(x), &t) < 0) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the certificate has expired");
        return 1;
    }

    ERR_clear_error();

    return 0;
}
