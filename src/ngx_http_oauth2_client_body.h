
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The token request (RFC 6749, section 4.4), built in two layers: the
 * client's credentials (private_key_jwt today) and the rest (the grant
 * and its parameters).  Each layer adds form parameters, and may ask for
 * request headers of its own.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_BODY_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_BODY_H_INCLUDED_


#include <stddef.h>

#include "ngx_http_oauth2_client_jose.h"


/* request headers a layer may add (client_secret_basic, a DPoP proof) */
#define NGX_HTTP_OAUTH2_CLIENT_HEADERS_MAX     2


typedef struct {
    const char                       *name;
    char                             *value;    /* malloc()ed */
} ngx_http_oauth2_client_header_t;


/* everything is malloc()ed, and wiped when freed: it holds credentials */
typedef struct {
    unsigned char                    *body;
    size_t                            len;
    size_t                            size;
    ngx_http_oauth2_client_header_t   headers[
                                          NGX_HTTP_OAUTH2_CLIENT_HEADERS_MAX];
    size_t                            nheaders;
} ngx_http_oauth2_client_token_request_t;


void ngx_http_oauth2_client_token_request_init(
    ngx_http_oauth2_client_token_request_t *tr);
void ngx_http_oauth2_client_token_request_free(
    ngx_http_oauth2_client_token_request_t *tr);

/* name=value, value form-encoded, after a "&" if the body has a parameter */
int ngx_http_oauth2_client_token_request_param(
    ngx_http_oauth2_client_token_request_t *tr, const char *name,
    const unsigned char *value, size_t len, char *err, size_t errlen);

/* the rest: grant_type=client_credentials, and scope unless NULL or "" */
int ngx_http_oauth2_client_token_request_grant(
    ngx_http_oauth2_client_token_request_t *tr, const char *scope,
    char *err, size_t errlen);

/* the credentials of private_key_jwt: a newly signed client assertion */
int ngx_http_oauth2_client_token_request_private_key_jwt(
    ngx_http_oauth2_client_token_request_t *tr,
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen);

/*
 * A signed client assertion (malloc()ed, len bytes) as client_assertion
 * and its client_assertion_type; the assertion is wiped and freed.
 */
int ngx_http_oauth2_client_token_request_assertion(
    ngx_http_oauth2_client_token_request_t *tr, char *assertion, size_t len,
    char *err, size_t errlen);

/*
 * the whole body of a private_key_jwt token request, the scope taken from
 * a; malloc()ed, NUL-terminated; the caller cleanses and frees it
 */
char *ngx_http_oauth2_client_token_request_body(
    const ngx_http_oauth2_client_assertion_t *a, size_t *len, char *err,
    size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_BODY_H_INCLUDED_ */
