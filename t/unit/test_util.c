
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The harness of test_crypto: counting checks, reading t/keys.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "test_util.h"


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
