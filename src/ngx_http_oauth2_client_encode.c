
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * base64url (RFC 7515, section 2) and application/x-www-form-urlencoded.
 * Nothing here takes an nginx type.
 */


#include <stddef.h>

#include "ngx_http_oauth2_client_encode.h"


static int ngx_http_oauth2_client_b64url_value(unsigned char c);
static int ngx_http_oauth2_client_form_keep(unsigned char c);


static const char  ngx_http_oauth2_client_b64url_basis[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


size_t
ngx_http_oauth2_client_base64url_encoded_len(size_t len)
{
    return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}


size_t
ngx_http_oauth2_client_base64url_encode(unsigned char *dst,
    const unsigned char *src, size_t len)
{
    const char     *basis;
    unsigned char  *d;

    basis = ngx_http_oauth2_client_b64url_basis;
    d = dst;

    while (len > 2) {
        *d++ = basis[src[0] >> 2];
        *d++ = basis[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = basis[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = basis[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len == 1) {
        *d++ = basis[src[0] >> 2];
        *d++ = basis[(src[0] & 0x03) << 4];

    } else if (len == 2) {
        *d++ = basis[src[0] >> 2];
        *d++ = basis[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = basis[(src[1] & 0x0f) << 2];
    }

    return (size_t) (d - dst);
}


static int
ngx_http_oauth2_client_b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '-') {
        return 62;
    }

    if (c == '_') {
        return 63;
    }

    return -1;
}


/*
 * Strict: no padding, no whitespace, and the unused low bits of the last
 * character must be zero, so that every byte string has exactly one
 * encoding (a decoded value re-encodes to the same text).
 */

size_t
ngx_http_oauth2_client_base64url_decode(unsigned char *dst,
    const unsigned char *src, size_t len)
{
    int             v[4];
    size_t          i, j, rest;
    unsigned char  *d;

    if (len % 4 == 1) {
        return (size_t) -1;
    }

    d = dst;

    for (i = 0; i < len; i += 4) {
        rest = len - i < 4 ? len - i : 4;

        for (j = 0; j < rest; j++) {
            v[j] = ngx_http_oauth2_client_b64url_value(src[i + j]);
            if (v[j] < 0) {
                return (size_t) -1;
            }
        }

        *d++ = (unsigned char) ((v[0] << 2) | (v[1] >> 4));

        if (rest == 2) {
            if (v[1] & 0x0f) {
                return (size_t) -1;
            }

            break;
        }

        *d++ = (unsigned char) (((v[1] & 0x0f) << 4) | (v[2] >> 2));

        if (rest == 3) {
            if (v[2] & 0x03) {
                return (size_t) -1;
            }

            break;
        }

        *d++ = (unsigned char) (((v[2] & 0x03) << 6) | v[3]);
    }

    return (size_t) (d - dst);
}


/* RFC 3986 unreserved characters go as they are */

static int
ngx_http_oauth2_client_form_keep(unsigned char c)
{
    return (c >= 'A' && c <= 'Z')
           || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '.' || c == '_' || c == '~';
}


size_t
ngx_http_oauth2_client_form_encoded_len(const unsigned char *src, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        n += (ngx_http_oauth2_client_form_keep(src[i]) || src[i] == ' ')
             ? 1 : 3;
    }

    return n;
}


size_t
ngx_http_oauth2_client_form_encode(unsigned char *dst,
    const unsigned char *src, size_t len)
{
    size_t          i;
    unsigned char  *d;

    static const char  hex[] = "0123456789ABCDEF";

    d = dst;

    for (i = 0; i < len; i++) {

        if (ngx_http_oauth2_client_form_keep(src[i])) {
            *d++ = src[i];

        } else if (src[i] == ' ') {
            *d++ = '+';

        } else {
            *d++ = '%';
            *d++ = hex[src[i] >> 4];
            *d++ = hex[src[i] & 0x0f];
        }
    }

    return (size_t) (d - dst);
}
