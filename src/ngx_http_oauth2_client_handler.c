
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The request path: the precontent phase handler, the token subrequest,
 * its response, and the Authorization header.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_int_t ngx_http_oauth2_client_handler(ngx_http_request_t *r);
static ngx_http_oauth2_client_ctx_t *ngx_http_oauth2_client_get_ctx(
    ngx_http_request_t *r);
static ngx_http_oauth2_client_ctx_t *ngx_http_oauth2_client_create_ctx(
    ngx_http_request_t *r);
static void ngx_http_oauth2_client_cleanup(void *data);
static void ngx_http_oauth2_client_wipe(ngx_http_oauth2_client_ctx_t *ctx);
static ngx_int_t ngx_http_oauth2_client_fetch(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static ngx_int_t ngx_http_oauth2_client_request_headers(ngx_pool_t *pool,
    ngx_list_t *headers);
static ngx_http_request_body_t *ngx_http_oauth2_client_request_body(
    ngx_pool_t *pool, ngx_str_t *body);
static ngx_int_t ngx_http_oauth2_client_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_oauth2_client_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_oauth2_client_process(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static ngx_int_t ngx_http_oauth2_client_parse(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static ngx_int_t ngx_http_oauth2_client_store(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_http_oauth2_client_token_t *tok);
static ngx_int_t ngx_http_oauth2_client_inject(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static void ngx_http_oauth2_client_restore(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static void ngx_http_oauth2_client_fingerprint(u_char *token, size_t len,
    u_char *hex);


static ngx_uint_t  ngx_http_oauth2_client_authorization_hash;

static ngx_http_output_body_filter_pt  ngx_http_next_body_filter;


ngx_int_t
ngx_http_oauth2_client_handler_init(ngx_conf_t *cf)
{
    ngx_uint_t                  n;
    ngx_array_t                *handlers;
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    ngx_http_oauth2_client_authorization_hash =
                      ngx_hash_key((u_char *) "authorization",
                                   sizeof("authorization") - 1);

    /*
     * The precontent phase runs after every access check, so "satisfy any"
     * cannot skip us and a request that is denied never costs a token
     * fetch.  A phase runs its handlers last registered first: we put
     * ours at the front of the array to run after try_files and mirror,
     * right before the content handler reads headers_in.
     */

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    handlers = &cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers;

    h = ngx_array_push(handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h = handlers->elts;

    for (n = handlers->nelts - 1; n > 0; n--) {
        h[n] = h[n - 1];
    }

    h[0] = ngx_http_oauth2_client_handler;

    /*
     * The token response is captured by a body filter of our own, at the
     * top of the chain, rather than by nginx's in-memory subrequest
     * buffer: that one fails a response over subrequest_output_buffer_size
     * by marking the client connection broken, which would drop the
     * client without an answer.  The same size limit is kept here, and
     * an oversized response becomes a 502 with a clear log line.
     */

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_oauth2_client_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_handler(ngx_http_request_t *r)
{
    ngx_int_t                            rc;
    ngx_http_oauth2_client_ctx_t        *ctx;
    ngx_http_oauth2_client_loc_conf_t   *olcf;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    /*
     * Subrequests share the main request's headers_in, so they are never
     * touched; this also keeps the token subrequest from recursing when
     * oauth2_token is inherited into the token location.
     */

    if (r != r->main) {
        return NGX_DECLINED;
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth2_client_module);

    ctx = ngx_http_oauth2_client_get_ctx(r);

    if (ctx != NULL && ctx->client != olcf->client) {

        /*
         * An internal redirect brought the request to a location of
         * another client, or of none: the token of the first location
         * must not go there.
         */

        ngx_http_oauth2_client_restore(r, ctx);

        if (olcf->client == NULL) {
            return NGX_DECLINED;
        }

        ngx_http_oauth2_client_wipe(ctx);
        ngx_memzero(ctx, sizeof(ngx_http_oauth2_client_ctx_t));
        ctx->client = olcf->client;
    }

    if (olcf->client == NULL) {
        return NGX_DECLINED;
    }

    if (ctx == NULL) {
        ctx = ngx_http_oauth2_client_create_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->client = olcf->client;
    }

    if (ctx->injected) {
        return NGX_DECLINED;
    }

    if (ctx->failed) {
        /* one token attempt a request, whatever error_page does next */
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (ctx->subrequest != NULL) {

        if (!ctx->done) {
            return NGX_AGAIN;
        }

        rc = ngx_http_oauth2_client_process(r, ctx);

        if (rc != NGX_OK) {
            ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
            ctx->failed = 1;
            return rc;
        }

        return ngx_http_oauth2_client_inject(r, ctx);
    }

    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    rc = ngx_http_oauth2_client_cache_get(omcf->shm_zone, ctx->client,
                                          r->pool, &ctx->value);

    if (rc == NGX_OK) {
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT;
        return ngx_http_oauth2_client_inject(r, ctx);
    }

    if (rc == NGX_ERROR) {
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_MISS;

    rc = ngx_http_oauth2_client_fetch(r, ctx);

    if (rc != NGX_AGAIN) {
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
        ctx->failed = 1;
    }

    return rc;
}


static ngx_http_oauth2_client_ctx_t *
ngx_http_oauth2_client_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_oauth2_client_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);

    if (ctx != NULL || !r->internal) {
        return ctx;
    }

    /* an internal redirect wiped the context: the pool cleanup holds it */

    for (cln = r->pool->cleanup; cln != NULL; cln = cln->next) {
        if (cln->handler == ngx_http_oauth2_client_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_oauth2_client_module);
            return ctx;
        }
    }

    return NULL;
}


static ngx_http_oauth2_client_ctx_t *
ngx_http_oauth2_client_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_oauth2_client_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_oauth2_client_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_oauth2_client_ctx_t));

    cln->handler = ngx_http_oauth2_client_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_oauth2_client_module);

    return ctx;
}


static void
ngx_http_oauth2_client_cleanup(void *data)
{
    ngx_http_oauth2_client_ctx_t  *ctx = data;

    ngx_http_oauth2_client_wipe(ctx);
}


/* the assertion and the raw response never outlive their use */

static void
ngx_http_oauth2_client_wipe(ngx_http_oauth2_client_ctx_t *ctx)
{
    if (ctx->body.len) {
        ngx_explicit_memzero(ctx->body.data, ctx->body.len);
        ctx->body.len = 0;
    }

    if (ctx->response != NULL) {
        ngx_explicit_memzero(ctx->response->start,
                             ctx->response->end - ctx->response->start);
        ctx->response = NULL;
    }
}


static ngx_int_t
ngx_http_oauth2_client_fetch(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx)
{
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                                *body;
    size_t                               len;
    ngx_int_t                            rc;
    ngx_list_t                           headers;
    ngx_http_request_t                  *sr;
    ngx_http_request_body_t             *rb;
    ngx_http_variable_value_t           *variables;
    ngx_http_core_main_conf_t           *cmcf;
    ngx_http_post_subrequest_t          *ps;
    ngx_http_oauth2_client_conf_t       *client;
    ngx_http_oauth2_client_assertion_t   a;

    client = ctx->client;

    /* every attempt signs a new assertion: a new jti, iat and exp */

    a.pkey = client->pkey;
    a.alg = (int) client->signing_alg;
    a.kid = client->c_key_id;
    a.client_id = client->c_client_id;
    a.audience = client->c_audience;
    a.scope = client->c_scope;
    a.lifetime = (long) client->assertion_lifetime;
    a.now = ngx_time();

    body = ngx_http_oauth2_client_token_request_body(&a, &len, err,
                                                     sizeof(err));
    if (body == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": could not sign the client "
                      "assertion: %s", &client->name, err);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->body.data = ngx_pnalloc(r->pool, len);

    if (ctx->body.data != NULL) {
        ngx_memcpy(ctx->body.data, body, len);
        ctx->body.len = len;
    }

    OPENSSL_cleanse(body, len);
    free(body);

    if (ctx->body.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * Everything the subrequest needs is made before it exists: once
     * created, it runs, and it starts as a copy of the client's request.
     * It gets its own method, headers, body and variable values, so that
     * nothing of the client's (cookies, credentials, body, variables
     * already evaluated from them) reaches the token endpoint.
     */

    if (ngx_http_oauth2_client_request_headers(r->pool, &headers) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rb = ngx_http_oauth2_client_request_body(r->pool, &ctx->body);
    if (rb == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    variables = ngx_pcalloc(r->pool, cmcf->variables.nelts
                                     * sizeof(ngx_http_variable_value_t));
    if (variables == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ps->handler = ngx_http_oauth2_client_done;
    ps->data = ctx;

    rc = ngx_http_subrequest(r, &client->token_location, NULL, &sr, ps,
                             NGX_HTTP_SUBREQUEST_IN_MEMORY
                             |NGX_HTTP_SUBREQUEST_WAITED);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": could not create the token "
                      "subrequest", &client->name);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.headers = headers;
    sr->headers_in.content_type = headers.part.elts;
    sr->headers_in.content_length_n = ctx->body.len;
    sr->headers_in.keep_alive_n = -1;

    sr->request_body = rb;
    sr->request_body_no_buffering = 0;
    sr->variables = variables;

    ctx->subrequest = sr;
    ctx->sent = ngx_current_msec;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "oauth2 client \"%V\": token subrequest to \"%V\"",
                   &client->name, &client->token_location);

    return NGX_AGAIN;
}


static ngx_int_t
ngx_http_oauth2_client_request_headers(ngx_pool_t *pool, ngx_list_t *headers)
{
    ngx_table_elt_t  *h;

    if (ngx_list_init(headers, pool, 2, sizeof(ngx_table_elt_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the first header is Content-Type: headers_in.content_type to it */

    h = ngx_list_push(headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->key, "Content-Type");
    ngx_str_set(&h->value, "application/x-www-form-urlencoded");
    h->lowcase_key = (u_char *) "content-type";
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    h = ngx_list_push(headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->key, "Accept");
    ngx_str_set(&h->value, "application/json");
    h->lowcase_key = (u_char *) "accept";
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


static ngx_http_request_body_t *
ngx_http_oauth2_client_request_body(ngx_pool_t *pool, ngx_str_t *body)
{
    ngx_buf_t                *b;
    ngx_chain_t              *cl;
    ngx_http_request_body_t  *rb;

    rb = ngx_pcalloc(pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NULL;
    }

    b = ngx_calloc_buf(pool);
    if (b == NULL) {
        return NULL;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->start = b->pos;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl = ngx_alloc_chain_link(pool);
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;
    rb->buf = b;

    return rb;
}


static ngx_int_t
ngx_http_oauth2_client_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                          size, len;
    ngx_buf_t                     *b, *resp;
    ngx_chain_t                   *cl;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_oauth2_client_ctx_t  *ctx;

    if (r == r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    /*
     * The context is the main request's: one on the subrequest itself
     * would be lost if the token location redirected internally.
     */

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_oauth2_client_module);

    if (ctx == NULL || ctx->subrequest != r) {
        return ngx_http_next_body_filter(r, in);
    }

    resp = ctx->response;

    if (resp == NULL && !ctx->too_big) {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        len = r->headers_out.content_length_n;

        if (len > (off_t) clcf->subrequest_output_buffer_size) {
            ctx->too_big = 1;

        } else {
            if (len < 0) {
                len = clcf->subrequest_output_buffer_size;
            }

            resp = ngx_create_temp_buf(r->pool, len ? (size_t) len : 1);
            if (resp == NULL) {
                return NGX_ERROR;
            }

            ctx->response = resp;
        }
    }

    /* everything is consumed here: nothing of it reaches the client */

    for (cl = in; cl != NULL; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_size(b);

        if (size > 0 && !ctx->too_big) {

            if (!ngx_buf_in_memory(b) || size > resp->end - resp->last) {
                ctx->too_big = 1;

            } else {
                resp->last = ngx_cpymem(resp->last, b->pos, (size_t) size);
            }
        }

        /*
         * The last buffer comes only with a response the upstream module
         * read to its end; a failure after the header ends without it.
         */

        if (b->last_buf || b->last_in_chain) {
            ctx->complete = 1;
        }

        if (ngx_buf_in_memory(b)) {
            b->pos = b->last;
        }

        if (b->in_file) {
            b->file_pos = b->file_last;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_oauth2_client_ctx_t  *ctx = data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "oauth2 client \"%V\": token subrequest done: %i",
                   &ctx->client->name, rc);

    ctx->done = 1;

    if (rc != NGX_OK) {
        ctx->rc = rc;
    }

    /*
     * NGX_ERROR, passed on, would close the client's connection without
     * an answer; the failure is recorded, and the main request answers
     * it with a 502.  A connection that did break is left to close.
     */

    if (rc == NGX_ERROR && !sr->connection->error) {
        return NGX_OK;
    }

    return rc;
}


static ngx_int_t
ngx_http_oauth2_client_process(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx)
{
    ngx_int_t  rc;

    /* the upstream's "sending to client" does not describe our lines */

    r->connection->log->action = NULL;

    rc = ngx_http_oauth2_client_parse(r, ctx);

    ngx_http_oauth2_client_wipe(ctx);

    return rc;
}


static ngx_int_t
ngx_http_oauth2_client_parse(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx)
{
    int                              rc;
    char                             err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char                          *body;
    size_t                           len;
    ngx_uint_t                       status;
    ngx_table_elt_t                 *ce;
    ngx_http_request_t              *sr;
    ngx_http_upstream_t             *u;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_oauth2_client_conf_t   *client;
    ngx_http_oauth2_client_token_t   tok;

    sr = ctx->subrequest;
    client = ctx->client;
    u = sr->upstream;

    if (u == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": token endpoint location \"%V\" "
                      "not found or without proxy_pass (status %ui)",
                      &client->name, &client->token_location,
                      sr->headers_out.status);
        return NGX_HTTP_BAD_GATEWAY;
    }

    status = u->headers_in.status_n;

    if (status == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": no response from the token "
                      "endpoint through \"%V\" (status %ui, see the "
                      "upstream error above)",
                      &client->name, &client->token_location,
                      sr->headers_out.status);
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (ctx->too_big) {
        clcf = ngx_http_get_module_loc_conf(sr, ngx_http_core_module);

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": token endpoint response "
                      "(HTTP %ui) larger than subrequest_output_buffer_size "
                      "(%uz): raise it in location \"%V\"",
                      &client->name, status,
                      clcf->subrequest_output_buffer_size,
                      &client->token_location);

        return NGX_HTTP_BAD_GATEWAY;
    }

    if (ctx->rc == NGX_ERROR || !ctx->complete) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": token endpoint response "
                      "(HTTP %ui) is incomplete, see the upstream error "
                      "above", &client->name, status);
        return NGX_HTTP_BAD_GATEWAY;
    }

    ce = sr->headers_out.content_encoding;

    if (ce != NULL && ce->hash != 0 && ce->value.len
        && !(ce->value.len == 8
             && ngx_strncasecmp(ce->value.data, (u_char *) "identity", 8)
                == 0))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": token endpoint response "
                      "(HTTP %ui) is encoded with \"%V\", which is not "
                      "supported", &client->name, status, &ce->value);
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (ctx->response != NULL) {
        body = ctx->response->pos;
        len = ctx->response->last - ctx->response->pos;

    } else {
        body = (u_char *) "";
        len = 0;
    }

    /* the token is parsed straight into its header value */

    ctx->value.data = ngx_pnalloc(r->pool,
                           sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1 + len);
    if (ctx->value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tok.access_token = ngx_cpymem(ctx->value.data,
                                  NGX_HTTP_OAUTH2_CLIENT_BEARER,
                                  sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1);

    rc = ngx_http_oauth2_client_token_parse((unsigned) status, body, len,
                                            &tok, err, sizeof(err));

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": token request failed: %s",
                      &client->name, err);
        return NGX_HTTP_BAD_GATEWAY;
    }

    ctx->value.len = sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1
                     + tok.access_token_len;

    return ngx_http_oauth2_client_store(r, ctx, &tok);
}


static ngx_int_t
ngx_http_oauth2_client_store(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_http_oauth2_client_token_t *tok)
{
    u_char                               fp[9];
    ngx_msec_t                           lifetime, margin;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    /*
     * The lifetime counts from when the request was sent, not from when
     * the answer came, and the token leaves the cache a margin before it
     * ends, so that a request never carries a token that dies on its
     * way: 10% of the lifetime, at most a minute.  ngx_current_msec is
     * the monotonic clock, the same in every worker: a step of the wall
     * clock does not stretch a token's life.
     */

    lifetime = (ngx_msec_t) tok->expires_in * 1000;
    margin = ngx_min(lifetime / 10, NGX_HTTP_OAUTH2_CLIENT_MARGIN_MAX);

    ngx_http_oauth2_client_fingerprint(tok->access_token,
                                       tok->access_token_len, fp);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "oauth2 client \"%V\": new token sha256:%s, expires in "
                  "%L s%s", &ctx->client->name, fp, tok->expires_in,
                  tok->expires_in_capped ? " (capped)" : "");

    /* a token that could not be cached still serves this request */

    (void) ngx_http_oauth2_client_cache_put(omcf->shm_zone, ctx->client,
                                            tok->access_token,
                                            tok->access_token_len,
                                            ctx->sent + lifetime - margin,
                                            r->connection->log);

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_inject(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    /*
     * nginx answers 400 to a request with two Authorization headers, so
     * headers_in.authorization is the only one the client sent: its value
     * is replaced, and kept, to be put back should an internal redirect
     * lead to a location without this client.
     */

    h = r->headers_in.authorization;

    if (h != NULL) {
        ctx->client_value = h->value;
        ctx->pushed = 0;

    } else {
        h = ngx_list_push(&r->headers_in.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = ngx_http_oauth2_client_authorization_hash;
        ngx_str_set(&h->key, "Authorization");
        h->lowcase_key = (u_char *) "authorization";
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif

        r->headers_in.authorization = h;
        ctx->pushed = 1;
    }

    h->value = ctx->value;

    ctx->header = h;
    ctx->injected = 1;

    return NGX_DECLINED;
}


static void
ngx_http_oauth2_client_restore(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx)
{
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (!ctx->injected) {
        return;
    }

    h = ctx->header;

    if (!ctx->pushed) {
        h->value = ctx->client_value;

    } else {
        /*
         * Our header was appended, and nothing in between phases appends
         * request headers: it is still the last, and is dropped.  Were it
         * not, it would be left with an empty value.
         */

        part = r->headers_in.headers.last;

        if (part->nelts > 0
            && (ngx_table_elt_t *) part->elts + part->nelts - 1 == h)
        {
            part->nelts--;

        } else {
            ngx_str_null(&h->value);
        }

        r->headers_in.authorization = NULL;
    }

    ctx->injected = 0;
    ctx->header = NULL;
    ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE;
    ngx_str_null(&ctx->value);
}


static void
ngx_http_oauth2_client_fingerprint(u_char *token, size_t len, u_char *hex)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  mdlen;

    if (EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        ngx_cpystrn(hex, (u_char *) "unknown", 9);
        return;
    }

    *ngx_hex_dump(hex, md, 4) = '\0';
}
