
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The harness of test_crypto: counting checks, reading t/keys.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ngx_http_oauth2_client_encode.h"
#include "test_util.h"


static char *ngx_http_oauth2_client_test_b64_json(const char *p,
    size_t len);


static int  ngx_http_oauth2_client_test_passed;
static int  ngx_http_oauth2_client_test_failed;


void
ngx_http_oauth2_client_test_check(int ok, const char *file, int line,
    const char *what)
{
    if (ok) {
        ngx_http_oauth2_client_test_passed++;
        return;
    }

    ngx_http_oauth2_client_test_failed++;
    printf("FAILED %s:%d: %s\n", file, line, what);
}


void
ngx_http_oauth2_client_test_check_str(const char *got, const char *want,
    const char *file, int line)
{
    if (got != NULL && want != NULL && strcmp(got, want) == 0) {
        ngx_http_oauth2_client_test_passed++;
        return;
    }

    ngx_http_oauth2_client_test_failed++;
    printf("FAILED %s:%d: got \"%s\", want \"%s\"\n", file, line,
           got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}


void
ngx_http_oauth2_client_test_check_err(const char *err, const char *want,
    const char *file, int line)
{
    if (err != NULL && want != NULL && strstr(err, want) != NULL) {
        ngx_http_oauth2_client_test_passed++;
        return;
    }

    ngx_http_oauth2_client_test_failed++;
    printf("FAILED %s:%d: error \"%s\" does not say \"%s\"\n", file, line,
           err != NULL ? err : "(null)", want != NULL ? want : "(null)");
}


int
ngx_http_oauth2_client_test_failures(void)
{
    return ngx_http_oauth2_client_test_failed;
}


int
ngx_http_oauth2_client_test_report(void)
{
    printf("%d passed, %d failed\n", ngx_http_oauth2_client_test_passed,
           ngx_http_oauth2_client_test_failed);

    return ngx_http_oauth2_client_test_failed != 0;
}


const char *
ngx_http_oauth2_client_test_path(const char *name)
{
    const char  *dir;

    static char  path[4096];

    dir = getenv("TEST_KEYS");
    if (dir == NULL || dir[0] == '\0') {
        dir = "t/keys";
    }

    (void) snprintf(path, sizeof(path), "%s/%s", dir, name);

    return path;
}


char *
ngx_http_oauth2_client_test_read(const char *name, size_t *len)
{
    long         size;
    FILE        *fp;
    char        *buf;
    size_t       n;
    const char  *path;

    path = ngx_http_oauth2_client_test_path(name);

    fp = fopen(path, "rb");
    if (fp == NULL) {
        ngx_http_oauth2_client_test_check(0, __FILE__, __LINE__, path);
        return NULL;
    }

    buf = NULL;

    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0
        || fseek(fp, 0, SEEK_SET) != 0)
    {
        goto failed;
    }

    buf = malloc((size_t) size + 1);
    if (buf == NULL) {
        goto failed;
    }

    n = fread(buf, 1, (size_t) size, fp);
    if (n != (size_t) size) {
        goto failed;
    }

    buf[n] = '\0';
    (void) fclose(fp);

    if (len != NULL) {
        *len = n;
    }

    return buf;

failed:

    free(buf);
    (void) fclose(fp);
    ngx_http_oauth2_client_test_check(0, __FILE__, __LINE__, path);

    return NULL;
}


char *
ngx_http_oauth2_client_test_read_line(const char *name)
{
    char  *s, *nl;

    s = ngx_http_oauth2_client_test_read(name, NULL);
    if (s == NULL) {
        return NULL;
    }

    nl = strpbrk(s, "\r\n");
    if (nl != NULL) {
        *nl = '\0';
    }

    return s;
}


EVP_PKEY *
ngx_http_oauth2_client_test_pem_key(const char *name)
{
    BIO       *bio;
    EVP_PKEY  *pkey;

    bio = BIO_new_file(ngx_http_oauth2_client_test_path(name), "r");
    if (bio == NULL) {
        ERR_clear_error();
        ngx_http_oauth2_client_test_check(0, __FILE__, __LINE__, name);
        return NULL;
    }

    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *) "");
    BIO_free(bio);

    if (pkey == NULL) {
        ERR_clear_error();
        ngx_http_oauth2_client_test_check(0, __FILE__, __LINE__, name);
    }

    return pkey;
}


EVP_PKEY *
ngx_http_oauth2_client_test_pub_key(const char *name)
{
    BIO       *bio;
    EVP_PKEY  *pkey;

    bio = BIO_new_file(ngx_http_oauth2_client_test_path(name), "r");
    pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);

    if (pkey == NULL) {
        ERR_clear_error();
        ngx_http_oauth2_client_test_check(0, __FILE__, __LINE__, name);
    }

    return pkey;
}


int
ngx_http_oauth2_client_test_same_public(EVP_PKEY *a, EVP_PKEY *b)
{
    int             na, nb, same;
    unsigned char  *da, *db;

    if (a == NULL || b == NULL) {
        return 0;
    }

    da = NULL;
    db = NULL;

    na = i2d_PUBKEY(a, &da);
    nb = i2d_PUBKEY(b, &db);

    same = na > 0 && na == nb && memcmp(da, db, (size_t) na) == 0;

    OPENSSL_free(da);
    OPENSSL_free(db);

    return same;
}


int
ngx_http_oauth2_client_test_verify(EVP_PKEY *pkey, const char *alg,
    const unsigned char *in, size_t len, const unsigned char *sig,
    size_t siglen)
{
    int             ok, n, derlen;
    BIGNUM         *r, *s;
    ECDSA_SIG      *es;
    EVP_MD_CTX     *ctx;
    const EVP_MD   *md;
    EVP_PKEY_CTX   *pctx;
    unsigned char  *der;

    switch (atoi(alg + 2)) {
    case 256:
        md = EVP_sha256();
        break;
    case 384:
        md = EVP_sha384();
        break;
    case 512:
        md = EVP_sha512();
        break;
    default:
        return 0;
    }

    der = NULL;
    derlen = 0;

    if (alg[0] == 'E') {
        /* JOSE r||s to the DER OpenSSL verifies */
        n = (int) siglen / 2;
        r = BN_bin2bn(sig, n, NULL);
        s = BN_bin2bn(sig + n, n, NULL);
        es = ECDSA_SIG_new();

        if (r == NULL || s == NULL || es == NULL
            || ECDSA_SIG_set0(es, r, s) != 1)
        {
            BN_free(r);
            BN_free(s);
            ECDSA_SIG_free(es);
            return 0;
        }

        derlen = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);

        if (derlen <= 0) {
            return 0;
        }

        sig = der;
        siglen = (size_t) derlen;
    }

    ctx = EVP_MD_CTX_new();
    ok = ctx != NULL
         && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pkey) == 1;

    if (ok && alg[0] == 'P') {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
                > 0;
    }

    ok = ok && EVP_DigestVerify(ctx, sig, siglen, in, len) == 1;

    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();

    return ok;
}


static char *
ngx_http_oauth2_client_test_b64_json(const char *p, size_t len)
{
    char    *out;
    size_t   n;

    out = malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }

    n = ngx_http_oauth2_client_base64url_decode((unsigned char *) out,
                                                (const unsigned char *) p,
                                                len);
    if (n == (size_t) -1) {
        free(out);
        return NULL;
    }

    out[n] = '\0';

    return out;
}


int
ngx_http_oauth2_client_test_jws_split(const char *jws, char **header,
    char **claims, unsigned char *sig, size_t *siglen, size_t *signed_len)
{
    const char  *dot1, *dot2;

    *header = NULL;
    *claims = NULL;

    dot1 = strchr(jws, '.');
    dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;

    if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL) {
        return -1;
    }

    *header = ngx_http_oauth2_client_test_b64_json(jws,
                                                   (size_t) (dot1 - jws));
    *claims = ngx_http_oauth2_client_test_b64_json(dot1 + 1,
                                               (size_t) (dot2 - dot1 - 1));
    *siglen = ngx_http_oauth2_client_base64url_decode(sig,
                                          (const unsigned char *) dot2 + 1,
                                          strlen(dot2 + 1));
    *signed_len = (size_t) (dot2 - jws);

    if (*header == NULL || *claims == NULL || *siglen == (size_t) -1) {
        free(*header);
        free(*claims);
        *header = NULL;
        *claims = NULL;
        return -1;
    }

    return 0;
}
