
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Client secrets on the wire (RFC 6749 2.3.1): client_secret_basic and
 * client_secret_post.  No nginx types.
 *
 * ngx_http_oauth2_client_secret_basic(id, idlen, secret, slen, len, err,
 *     errlen)
 *     the Authorization header value "Basic " base64(form(id) ":"
 *     form(secret)), where form() is application/x-www-form-urlencoded
 *     (RFC 6749 2.3.1 and appendix B: a ':' or '%' in either survives).
 *     malloc()ed, NUL-terminated, *len (may be NULL) its length; the
 *     caller cleanses and frees it.  NULL with err set on failure (an
 *     empty id or secret).
 *
 * ngx_http_oauth2_client_secret_post(id, idlen, secret, slen, len, err,
 *     errlen)
 *     the body parameters "client_id=...&client_secret=..." (form
 *     encoded), or "client_id=..." alone when secret is NULL (the
 *     tls_client_auth and none methods); malloc()ed as above.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_SECRET_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_SECRET_H_INCLUDED_


#include <stddef.h>


/* the longest client_id or secret accepted */
#define NGX_HTTP_OAUTH2_CLIENT_SECRET_MAX      65536


char *ngx_http_oauth2_client_secret_basic(const unsigned char *id,
    size_t idlen, const unsigned char *secret, size_t slen, size_t *len,
    char *err, size_t errlen);
char *ngx_http_oauth2_client_secret_post(const unsigned char *id,
    size_t idlen, const unsigned char *secret, size_t slen, size_t *len,
    char *err, size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_SECRET_H_INCLUDED_ */
