
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * $oauth2_access_token, $oauth2_token_status, and for the logs
 * $oauth2_client_name, $oauth2_token_expires_in, $oauth2_token_fingerprint.
 * Each reads the request's own context or headers, never the zone.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_int_t ngx_http_oauth2_client_token_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_oauth2_client_status_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_oauth2_client_name_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_oauth2_client_expires_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_oauth2_client_fingerprint_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_str_t *ngx_http_oauth2_client_carried(ngx_http_request_t *r,
    ngx_str_t *token);


static ngx_http_variable_t  ngx_http_oauth2_client_vars[] = {

    { ngx_string("oauth2_access_token"), NULL,
      ngx_http_oauth2_client_token_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth2_token_status"), NULL,
      ngx_http_oauth2_client_status_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth2_client_name"), NULL,
      ngx_http_oauth2_client_name_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth2_token_expires_in"), NULL,
      ngx_http_oauth2_client_expires_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth2_token_fingerprint"), NULL,
      ngx_http_oauth2_client_fingerprint_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_oauth2_client_status_names[] = {
    ngx_null_string,
    ngx_string("HIT"),
    ngx_string("MISS"),
    ngx_string("ERROR"),
    ngx_string("REFRESH"),
    ngx_string("STALE"),
    ngx_string("WAIT"),
    ngx_string("BACKOFF"),
    ngx_string("DPOP")
};


ngx_int_t
ngx_http_oauth2_client_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_oauth2_client_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_token_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  token;

    /*
     * The token this request carries, if it carries one the module set:
     * read from its own headers, so a subrequest without it sees none,
     * whatever its main request carries.  Looking into the zone here
     * could claim a token request that nobody would make.
     */

    if (ngx_http_oauth2_client_carried(r, &token) == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = token.len;
    v->data = token.data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                     *name;
    ngx_http_oauth2_client_ctx_t  *ctx;

    /*
     * The request's own: a subrequest's is not its main request's.  Not
     * that of a token taken off for an internal redirect and kept to go
     * on again (ctx->stripped).
     */

    ctx = ngx_http_oauth2_client_get_ctx(r);

    if (ctx == NULL || ctx->stripped
        || ctx->token_status == NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    name = &ngx_http_oauth2_client_status_names[ctx->token_status];

    v->len = name->len;
    v->data = name->data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* the client whose token the request asked for, whether it got one */

static ngx_int_t
ngx_http_oauth2_client_name_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_oauth2_client_ctx_t  *ctx;

    ctx = ngx_http_oauth2_client_get_ctx(r);

    if (ctx == NULL || ctx->client == NULL || ctx->stripped
        || ctx->token_status == NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ctx->client->name.len;
    v->data = ctx->client->name.data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * Seconds until the module stops using the token the request carries
 * (its end of use: a margin before the server's expiry), from now; 0
 * once past it.
 */

static ngx_int_t
ngx_http_oauth2_client_expires_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                        *p;
    ngx_str_t                      token;
    ngx_msec_int_t                 left;
    ngx_http_oauth2_client_ctx_t  *ctx;

    ctx = ngx_http_oauth2_client_get_ctx(r);

    if (ctx == NULL || !ctx->injected
        || ngx_http_oauth2_client_carried(r, &token) == NULL)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    left = (ngx_msec_int_t) (ctx->expires - ngx_current_msec);

    if (left < 0) {
        left = 0;
    }

    v->len = ngx_sprintf(p, "%M", (ngx_msec_t) left / 1000) - p;
    v->data = p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * The first 4 bytes of the SHA-256 of the token the request carries, in
 * hex, as the log lines of the module name it: tells tokens apart, and
 * gives nothing of the token away.
 */

static ngx_int_t
ngx_http_oauth2_client_fingerprint_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char     *p;
    ngx_str_t   token;

    if (ngx_http_oauth2_client_carried(r, &token) == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_OAUTH2_CLIENT_STATUS_FP_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_oauth2_client_token_fingerprint(token.data, token.len,
                                             (char *) p);

    v->len = ngx_strlen(p);
    v->data = p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* the token of the module's header the request carries, after the scheme */

static ngx_str_t *
ngx_http_oauth2_client_carried(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char           *p, *last;
    ngx_table_elt_t  *h;

    h = ngx_http_oauth2_client_credential(r);

    if (h == NULL) {
        return NULL;
    }

    last = h->value.data + h->value.len;
    p = ngx_strlchr(h->value.data, last, ' ');

    if (p == NULL || p + 1 == last) {
        return NULL;
    }

    token->data = p + 1;
    token->len = last - (p + 1);

    return token;
}
