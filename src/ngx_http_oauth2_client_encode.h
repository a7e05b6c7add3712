
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * base64url and form encoding.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_ENCODE_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_ENCODE_H_INCLUDED_


#include <stddef.h>


/* base64url without padding (RFC 7515, section 2) */
size_t ngx_http_oauth2_client_base64url_encoded_len(size_t len);
size_t ngx_http_oauth2_client_base64url_encode(unsigned char *dst,
    const unsigned char *src, size_t len);
/* returns the decoded length, or (size_t) -1 on invalid input */
size_t ngx_http_oauth2_client_base64url_decode(unsigned char *dst,
    const unsigned char *src, size_t len);

/* application/x-www-form-urlencoded: unreserved bytes kept, space as '+' */
size_t ngx_http_oauth2_client_form_encoded_len(const unsigned char *src,
    size_t len);
size_t ngx_http_oauth2_client_form_encode(unsigned char *dst,
    const unsigned char *src, size_t len);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_ENCODE_H_INCLUDED_ */
