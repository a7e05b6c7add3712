
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Reading small secret files (keys, passphrases, client secrets,
 * certificates) into memory that is cleansed when given back.  No nginx
 * types.
 *
 * ngx_http_oauth2_client_file_read(path, max, f, err, errlen)
 *     reads a regular file of at most max bytes into f->data (malloc()ed,
 *     f->len bytes plus a NUL that is not counted) and records its
 *     permission bits in f->mode; 0, or -1 with err set (the message
 *     names the file).  An empty file is read as such (f->len 0).
 *
 * ngx_http_oauth2_client_file_free(f)
 *     cleanses and frees f->data; f may be zeroed or already freed.
 *
 * ngx_http_oauth2_client_passphrase_trim(p, len)
 *     the length of p without one trailing "\n" or "\r\n", as a
 *     passphrase or a secret written by `echo` or an editor ends; the
 *     bytes are not touched.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_FILE_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_FILE_H_INCLUDED_


#include <stddef.h>


/* far more than any key, certificate chain or secret needs */
#define NGX_HTTP_OAUTH2_CLIENT_FILE_MAX        (1024 * 1024)


typedef struct {
    unsigned char                *data;
    size_t                        len;
    unsigned                      mode;       /* st_mode & 07777 */
} ngx_http_oauth2_client_file_t;


int ngx_http_oauth2_client_file_read(const char *path, size_t max,
    ngx_http_oauth2_client_file_t *f, char *err, size_t errlen);
void ngx_http_oauth2_client_file_free(ngx_http_oauth2_client_file_t *f);
size_t ngx_http_oauth2_client_passphrase_trim(const unsigned char *p,
    size_t len);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_FILE_H_INCLUDED_ */
