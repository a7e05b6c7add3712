
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * file_read(), file_free() and passphrase_trim().
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_file.h"
#include "test_util.h"


static void ngx_http_oauth2_client_test_trim(const char *in,
    const char *want);


static void
ngx_http_oauth2_client_test_trim(const char *in, const char *want)
{
    size_t  n;

    n = ngx_http_oauth2_client_passphrase_trim((const unsigned char *) in,
                                               strlen(in));

    CHECK(n == strlen(want) && memcmp(in, want, n) == 0);
}


void
ngx_http_oauth2_client_test_file(void)
{
    FILE                           *fp;
    char                            err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                            path[64];
    ngx_http_oauth2_client_file_t   f;

    ngx_http_oauth2_client_test_trim("secret\n", "secret");
    ngx_http_oauth2_client_test_trim("secret\r\n", "secret");
    ngx_http_oauth2_client_test_trim("secret", "secret");
    ngx_http_oauth2_client_test_trim("secret\n\n", "secret\n");
    ngx_http_oauth2_client_test_trim("sec ret \n", "sec ret ");
    ngx_http_oauth2_client_test_trim("\n", "");
    ngx_http_oauth2_client_test_trim("\r\n", "");
    ngx_http_oauth2_client_test_trim("\r", "\r");
    ngx_http_oauth2_client_test_trim("", "");
    CHECK(ngx_http_oauth2_client_passphrase_trim(NULL, 3) == 0);

    /* the passphrase file of gen.sh, as openssl's -passin file: reads it */

    CHECK(ngx_http_oauth2_client_file_read(
              ngx_http_oauth2_client_test_path("rsa-enc.pass"),
              NGX_HTTP_OAUTH2_CLIENT_FILE_MAX, &f, err, sizeof(err)) == 0);
    CHECK(f.data != NULL && f.data[f.len] == '\0');
    CHECK(f.mode == 0600);
    CHECK(ngx_http_oauth2_client_passphrase_trim(f.data, f.len)
          == strlen("oauth2-test-pass"));
    ngx_http_oauth2_client_file_free(&f);
    CHECK(f.data == NULL && f.len == 0);
    ngx_http_oauth2_client_file_free(&f);

    CHECK(ngx_http_oauth2_client_file_read("/nonexistent/x", 100, &f, err,
                                           sizeof(err)) == -1);
    CHECK_ERR(err, "open() \"/nonexistent/x\" failed");
    CHECK(f.data == NULL);

    CHECK(ngx_http_oauth2_client_file_read("t", 100, &f, err, sizeof(err))
          == -1);
    CHECK_ERR(err, "\"t\" is not a regular file");

    CHECK(ngx_http_oauth2_client_file_read(
              ngx_http_oauth2_client_test_path("rsa1.pem"), 100, &f, err,
              sizeof(err)) == -1);
    CHECK_ERR(err, "is too big");
    CHECK_ERR(err, "at most 100 are allowed");

    CHECK(ngx_http_oauth2_client_file_read("", 100, &f, err, sizeof(err))
          == -1);
    CHECK(ngx_http_oauth2_client_file_read(NULL, 100, &f, err, sizeof(err))
          == -1);
    CHECK(ngx_http_oauth2_client_file_read("x", 100, NULL, err, sizeof(err))
          == -1);

    /* an empty file is read; whether it is an error is the caller's */

    (void) snprintf(path, sizeof(path), "/tmp/oauth2-unit-%ld.empty",
                    (long) getpid());
    fp = fopen(path, "w");
    CHECK(fp != NULL);

    if (fp != NULL) {
        (void) fclose(fp);
        (void) chmod(path, 0644);

        CHECK(ngx_http_oauth2_client_file_read(path, 100, &f, err,
                                               sizeof(err)) == 0);
        CHECK(f.len == 0 && f.data != NULL && f.data[0] == '\0');
        CHECK(f.mode == 0644);
        ngx_http_oauth2_client_file_free(&f);
        (void) unlink(path);
    }

    /* a FIFO does not hang the reader */

    (void) snprintf(path, sizeof(path), "/tmp/oauth2-unit-%ld.fifo",
                    (long) getpid());

    if (mkfifo(path, 0600) == 0) {
        CHECK(ngx_http_oauth2_client_file_read(path, 100, &f, err,
                                               sizeof(err)) == -1);
        CHECK_ERR(err, "is not a regular file");
        (void) unlink(path);
    }
}
