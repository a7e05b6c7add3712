
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Token endpoint responses (RFC 6749, sections 5.1 and 5.2).
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_JSON_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_JSON_H_INCLUDED_


#include <stddef.h>

#include "ngx_http_oauth2_client_error.h"


/* longest access token accepted from a token endpoint */
#define NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX       16384

/* expires_in values above this many seconds are capped to it */
#define NGX_HTTP_OAUTH2_CLIENT_EXPIRES_MAX     86400

/* the longest piece of a server-supplied string kept or put in a message */
#define NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_MAX  200
#define NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN                               \
    (NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_MAX + 1)


typedef struct {
    /* in: a buffer of at least the body's length; out: the token */
    unsigned char   *access_token;
    size_t           access_token_len;
    long long        expires_in;           /* seconds, after capping */
    int              expires_in_capped;
    int              dpop;                 /* token_type DPoP, not Bearer */

    /*
     * out, for an error response: the OAuth 2.0 error and
     * error_description, printable ASCII only, "" when not given
     */
    char             error[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    char             error_description[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];

    /*
     * out, for an error response without those: Okta's management API
     * form (errorCode, errorSummary, seen on 429), likewise; kept apart,
     * as no OAuth 2.0 error, for the status to show
     */
    char             error_code[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    char             error_summary[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
} ngx_http_oauth2_client_token_t;


/* header values: 1 if every byte is a visible ASCII character */
int ngx_http_oauth2_client_token_chars_valid(const unsigned char *p,
    size_t len);

/* the first 4 bytes of the token's SHA-256 in hex, to tell tokens apart */
void ngx_http_oauth2_client_token_fingerprint(const unsigned char *token,
    size_t len, char hex[9]);

/* token endpoint response; 0 on success, -1 with err set */
int ngx_http_oauth2_client_token_parse(unsigned status,
    const unsigned char *body, size_t len,
    ngx_http_oauth2_client_token_t *tok, char *err, size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_JSON_H_INCLUDED_ */
