
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * $oauth2_access_token and $oauth2_token_status.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_int_t ngx_http_oauth2_client_token_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_oauth2_client_status_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_oauth2_client_vars[] = {

    { ngx_string("oauth2_access_token"), NULL,
      ngx_http_oauth2_client_token_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("oauth2_token_status"), NULL,
      ngx_http_oauth2_client_status_variable, 0,
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
    ngx_string("BACKOFF")
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
    size_t                         skip;
    ngx_str_t                      value;
    ngx_http_oauth2_client_ctx_t  *ctx;

    /*
     * The token the module set on this request, if it did: looking into
     * the zone here could claim a fetch that nobody would make.
     */

    skip = NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_oauth2_client_module);

    if (ctx == NULL || !ctx->injected || ctx->value.len <= skip) {
        v->not_found = 1;
        return NGX_OK;
    }

    value = ctx->value;

    v->len = value.len - skip;
    v->data = value.data + skip;
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

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_oauth2_client_module);

    if (ctx == NULL
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
