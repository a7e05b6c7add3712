
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The token request's body and headers.  Nothing here takes an nginx
 * type.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ngx_http_oauth2_client_body.h"


#define NGX_HTTP_OAUTH2_CLIENT_ASSERTION_TYPE                               \
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


static int ngx_http_oauth2_client_token_request_grow(
    ngx_http_oauth2_client_token_request_t *tr, size_t need, char *err,
    size_t errlen);


void
ngx_http_oauth2_client_token_request_init(
    ngx_http_oauth2_client_token_request_t *tr)
{
    memset(tr, 0, sizeof(ngx_http_oauth2_client_token_request_t));
}


void
ngx_http_oauth2_client_token_request_free(
    ngx_http_oauth2_client_token_request_t *tr)
{
    size_t  i;

    if (tr->body != NULL) {
        OPENSSL_cleanse(tr->body, tr->size);
        free(tr->body);
    }

    for (i = 0; i < tr->nheaders; i++) {
        OPENSSL_cleanse(tr->headers[i].value, strlen(tr->headers[i].value));
        free(tr->headers[i].value);
    }

    memset(tr, 0, sizeof(ngx_http_oauth2_client_token_request_t));
}


/*
 * Room for need more bytes and a NUL.  Not realloc(): the old block,
 * which holds credentials, is wiped before it is freed.
 */

static int
ngx_http_oauth2_client_token_request_grow(
    ngx_http_oauth2_client_token_request_t *tr, size_t need, char *err,
    size_t errlen)
{
    size_t          size;
    unsigned char  *p;

    if (tr->len + need + 1 <= tr->size) {
        return 0;
    }

    size = (tr->len + need + 1) * 2;

    p = malloc(size);
    if (p == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "malloc(%zu) failed",
                                     size);
        return -1;
    }

    if (tr->body != NULL) {
        memcpy(p, tr->body, tr->len);
        OPENSSL_cleanse(tr->body, tr->size);
        free(tr->body);
    }

    tr->body = p;
    tr->size = size;

    return 0;
}


int
ngx_http_oauth2_client_token_request_param(
    ngx_http_oauth2_client_token_request_t *tr, const char *name,
    const unsigned char *value, size_t len, char *err, size_t errlen)
{
    size_t          nlen, vlen;
    unsigned char  *p;

    nlen = strlen(name);
    vlen = ngx_http_oauth2_client_form_encoded_len(value, len);

    if (ngx_http_oauth2_client_token_request_grow(tr, 1 + nlen + 1 + vlen,
                                                  err, errlen)
        != 0)
    {
        return -1;
    }

    p = tr->body + tr->len;

    if (tr->len != 0) {
        *p++ = '&';
    }

    memcpy(p, name, nlen);
    p += nlen;
    *p++ = '=';
    p += ngx_http_oauth2_client_form_encode(p, value, len);
    *p = '\0';

    tr->len = (size_t) (p - tr->body);

    return 0;
}


int
ngx_http_oauth2_client_token_request_grant(
    ngx_http_oauth2_client_token_request_t *tr, const char *scope,
    char *err, size_t errlen)
{
    static const char  grant[] = "client_credentials";

    if (ngx_http_oauth2_client_token_request_param(tr, "grant_type",
                                         (const unsigned char *) grant,
                                         sizeof(grant) - 1, err, errlen)
        != 0)
    {
        return -1;
    }

    if (scope == NULL || scope[0] == '\0') {
        return 0;
    }

    return ngx_http_oauth2_client_token_request_param(tr, "scope",
                                         (const unsigned char *) scope,
                                         strlen(scope), err, errlen);
}


/* every attempt signs a new assertion: a new jti, iat and exp */

int
ngx_http_oauth2_client_token_request_private_key_jwt(
    ngx_http_oauth2_client_token_request_t *tr,
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen)
{
    char    *assertion;
    size_t   len;

    assertion = ngx_http_oauth2_client_assertion_create(a, &len, err,
                                                         errlen);
    if (assertion == NULL) {
        return -1;
    }

    return ngx_http_oauth2_client_token_request_assertion(tr, assertion, len,
                                                          err, errlen);
}


int
ngx_http_oauth2_client_token_request_assertion(
    ngx_http_oauth2_client_token_request_t *tr, char *assertion, size_t len,
    char *err, size_t errlen)
{
    int  rc;

    static const char  type[] = NGX_HTTP_OAUTH2_CLIENT_ASSERTION_TYPE;

    rc = ngx_http_oauth2_client_token_request_param(tr,
                                         "client_assertion_type",
                                         (const unsigned char *) type,
                                         sizeof(type) - 1, err, errlen);
    if (rc == 0) {
        rc = ngx_http_oauth2_client_token_request_param(tr,
                                         "client_assertion",
                                         (const unsigned char *) assertion,
                                         len, err, errlen);
    }

    OPENSSL_cleanse(assertion, len);
    free(assertion);

    return rc;
}


char *
ngx_http_oauth2_client_token_request_body(
    const ngx_http_oauth2_client_assertion_t *a, size_t *len, char *err,
    size_t errlen)
{
    char                                    *body;
    ngx_http_oauth2_client_token_request_t   tr;

    if (a == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no assertion parameters");
        return NULL;
    }

    ngx_http_oauth2_client_token_request_init(&tr);

    if (ngx_http_oauth2_client_token_request_grant(&tr, a->scope, err,
                                                   errlen)
        != 0
        || ngx_http_oauth2_client_token_request_private_key_jwt(&tr, a, err,
                                                                errlen)
           != 0)
    {
        ngx_http_oauth2_client_token_request_free(&tr);
        return NULL;
    }

    /* the body is handed over: the caller wipes and frees it */

    body = (char *) tr.body;

    if (len != NULL) {
        *len = tr.len;
    }

    tr.body = NULL;
    ngx_http_oauth2_client_token_request_free(&tr);

    return body;
}
