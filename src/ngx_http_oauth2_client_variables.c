
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
    u_char           *p, *last;
    ngx_table_elt_t  *h;

    /*
     * The token this request carries, if it carries one the module set:
     * read from its own headers, so a subrequest without it sees none,
     * whatever its main request carries.  Looking into the zone here
     * could claim a token request that nobody would make.
     */

    h = ngx_http_oauth2_client_credential(r);

    if (h == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    /* after the scheme */

    last = h->value.data + h->value.len;
    p = ngx_strlchr(h->value.data, last, ' ');

    if (p == NULL || p + 1 == last) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = last - (p + 1);
    v->data = p + 1;
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

    /* the request's own: a subrequest's is not its main request's */

    ctx = ngx_http_oauth2_client_get_ctx(r);

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
