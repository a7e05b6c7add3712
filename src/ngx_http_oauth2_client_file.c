
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Small secret files read whole into memory that is cleansed when it is
 * given back.  See ngx_http_oauth2_client_file.h.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_file.h"


static int ngx_http_oauth2_client_file_read_fd(int fd, const char *path,
    size_t max, ngx_http_oauth2_client_file_t *f, char *err, size_t errlen);


int
ngx_http_oauth2_client_file_read(const char *path, size_t max,
    ngx_http_oauth2_client_file_t *f, char *err, size_t errlen)
{
    int  fd, e, rc;

    if (f == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "file_read() called without a result");
        return -1;
    }

    f->data = NULL;
    f->len = 0;
    f->mode = 0;

    if (path == NULL || path[0] == '\0') {
        ngx_http_oauth2_client_error(err, errlen, "no file name");
        return -1;
    }

    /*
     * O_NONBLOCK: a FIFO put where a key should be must not hang nginx
     * at startup; it is refused as "not a regular file" below
     */

    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd == -1) {
        e = errno;
        ngx_http_oauth2_client_error(err, errlen, "open() \"%s\" failed: %s",
                                     path, strerror(e));
        return -1;
    }

    rc = ngx_http_oauth2_client_file_read_fd(fd, path, max, f, err, errlen);

    (void) close(fd);

    return rc;
}


static int
ngx_http_oauth2_client_file_read_fd(int fd, const char *path, size_t max,
    ngx_http_oauth2_client_file_t *f, char *err, size_t errlen)
{
    int             e;
    size_t          n, size;
    ssize_t         rd;
    struct stat     st;
    unsigned char  *buf;

    if (fstat(fd, &st) == -1) {
        e = errno;
        ngx_http_oauth2_client_error(err, errlen, "fstat() \"%s\" failed: %s",
                                     path, strerror(e));
        return -1;
    }

    if (!S_ISREG(st.st_mode)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "\"%s\" is not a regular file", path);
        return -1;
    }

    if (st.st_size < 0 || (unsigned long long) st.st_size > max) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "\"%s\" is too big: %lld bytes, at most "
                                     "%zu are allowed", path,
                                     (long long) st.st_size, max);
        return -1;
    }

    size = (size_t) st.st_size;

    buf = malloc(size + 1);
    if (buf == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "malloc(%zu) failed",
                                     size + 1);
        return -1;
    }

    /* a file that shrank while being read is taken as far as it goes */

    n = 0;

    while (n < size) {
        rd = read(fd, buf + n, size - n);

        if (rd == -1) {
            e = errno;

            if (e == EINTR) {
                continue;
            }

            OPENSSL_cleanse(buf, size + 1);
            free(buf);

            ngx_http_oauth2_client_error(err, errlen,
                                         "read() \"%s\" failed: %s", path,
                                         strerror(e));
            return -1;
        }

        if (rd == 0) {
            break;
        }

        n += (size_t) rd;
    }

    buf[n] = '\0';

    f->data = buf;
    f->len = n;
    f->mode = (unsigned) (st.st_mode & 07777);

    return 0;
}


/* the allocation was len + 1 bytes: the NUL is cleansed as well */

void
ngx_http_oauth2_client_file_free(ngx_http_oauth2_client_file_t *f)
{
    if (f == NULL || f->data == NULL) {
        return;
    }

    OPENSSL_cleanse(f->data, f->len + 1);
    free(f->data);

    f->data = NULL;
    f->len = 0;
}


size_t
ngx_http_oauth2_client_passphrase_trim(const unsigned char *p, size_t len)
{
    if (p == NULL || len == 0 || p[len - 1] != '\n') {
        return p == NULL ? 0 : len;
    }

    len--;

    if (len != 0 && p[len - 1] == '\r') {
        len--;
    }

    return len;
}
