
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * oauth2_client_status: a content handler, as stub_status is, answering
 * what the module is doing: JSON, or the Prometheus text format for
 * ?format=prometheus (docs/status.md).  The zone is copied in one short
 * critical section (cache.c), then formatted without the lock by the
 * nginx-free code (status.c).  Nothing of this runs when nobody asks.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_int_t ngx_http_oauth2_client_status_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_oauth2_client_status_format(ngx_http_request_t *r,
    ngx_uint_t *prometheus);
static ngx_http_oauth2_client_status_snapshot_t *
    ngx_http_oauth2_client_status_snapshot(ngx_http_request_t *r);
static void ngx_http_oauth2_client_status_name(char *dst, size_t size,
    ngx_str_t *src);


char *
ngx_http_oauth2_client_status_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_loc_conf_t *olcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (olcf->status) {
        return "is duplicate";
    }

    /* the status location gets no token: it proxies nowhere */

    olcf->status = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_oauth2_client_status_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_oauth2_client_status_handler(ngx_http_request_t *r)
{
    size_t                                     len;
    ngx_int_t                                  rc;
    ngx_buf_t                                 *b;
    ngx_uint_t                                 prometheus;
    ngx_chain_t                                out;
    ngx_http_oauth2_client_status_snapshot_t  *s;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_oauth2_client_status_format(r, &prometheus);

    if (rc != NGX_OK) {
        return rc;
    }

    s = ngx_http_oauth2_client_status_snapshot(r);

    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the lock is released: the copy is formatted, its length first */

    len = prometheus ? ngx_http_oauth2_client_status_prometheus(s, NULL, 0)
                     : ngx_http_oauth2_client_status_json(s, NULL, 0);

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last += prometheus
               ? ngx_http_oauth2_client_status_prometheus(s, (char *) b->pos,
                                                          len)
               : ngx_http_oauth2_client_status_json(s, (char *) b->pos, len);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "oauth2 status: %uz bytes of %s formatted", len,
                   prometheus ? "prometheus" : "json");

    if (prometheus) {
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4");

    } else {
        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* ?format=json (the default) or ?format=prometheus; anything else 400 */

static ngx_int_t
ngx_http_oauth2_client_status_format(ngx_http_request_t *r,
    ngx_uint_t *prometheus)
{
    ngx_str_t  value;

    *prometheus = 0;

    if (ngx_http_arg(r, (u_char *) "format", sizeof("format") - 1, &value)
        != NGX_OK)
    {
        return NGX_OK;
    }

    if (value.len == sizeof("prometheus") - 1
        && ngx_strncmp(value.data, "prometheus", value.len) == 0)
    {
        *prometheus = 1;
        return NGX_OK;
    }

    if (value.len == sizeof("json") - 1
        && ngx_strncmp(value.data, "json", value.len) == 0)
    {
        return NGX_OK;
    }

    return NGX_HTTP_BAD_REQUEST;
}


/*
 * Everything the snapshot needs is allocated before the zone is locked,
 * and its names filled from the configuration: under the lock, only the
 * copy.
 */

static ngx_http_oauth2_client_status_snapshot_t *
ngx_http_oauth2_client_status_snapshot(ngx_http_request_t *r)
{
    size_t                                     n;
    ngx_uint_t                                 i;
    ngx_http_oauth2_client_conf_t            **clients;
    ngx_http_oauth2_client_main_conf_t        *omcf;
    ngx_http_oauth2_client_status_snapshot_t  *s;

    static ngx_str_t  version = ngx_string(NGX_HTTP_OAUTH2_CLIENT_VERSION);

    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    n = (omcf->shm_zone != NULL) ? omcf->clients.nelts : 0;

    s = ngx_pcalloc(r->pool,
                    sizeof(ngx_http_oauth2_client_status_snapshot_t)
                    + n * sizeof(ngx_http_oauth2_client_status_client_t));
    if (s == NULL) {
        return NULL;
    }

    s->clients = (ngx_http_oauth2_client_status_client_t *) (s + 1);
    s->nclients = n;
    s->now = ngx_time();

    ngx_http_oauth2_client_status_name(s->version, sizeof(s->version),
                                       &version);

    if (n == 0) {
        return s;
    }

    ngx_http_oauth2_client_status_name(s->zone.name, sizeof(s->zone.name),
                                       &omcf->shm_zone->shm.name);

    clients = omcf->clients.elts;

    for (i = 0; i < n; i++) {
        ngx_http_oauth2_client_status_name(s->clients[i].name,
                                           sizeof(s->clients[i].name),
                                           &clients[i]->name);
    }

    if (ngx_http_oauth2_client_cache_snapshot(omcf->shm_zone, clients, s,
                                              r->pool, r->connection->log)
        != NGX_OK)
    {
        return NULL;
    }

    return s;
}


static void
ngx_http_oauth2_client_status_name(char *dst, size_t size, ngx_str_t *src)
{
    size_t  len;

    len = ngx_min(src->len, size - 1);

    ngx_memcpy(dst, src->data, len);
    dst[len] = '\0';
}
