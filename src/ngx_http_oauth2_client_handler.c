
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


static ngx_int_t ngx_http_oauth2_client_fetch(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static ngx_int_t ngx_http_oauth2_client_subrequest_headers(
    ngx_http_request_t *sr, ngx_pool_t *pool, size_t len);
static ngx_int_t ngx_http_oauth2_client_subrequest_body(
    ngx_http_request_t *sr, ngx_str_t *body);
static ngx_int_t ngx_http_oauth2_client_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_oauth2_client_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_oauth2_client_process(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static ngx_int_t ngx_http_oauth2_client_store(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_http_oauth2_client_token_t *tok);
static ngx_int_t ngx_http_oauth2_client_inject(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static void ngx_http_oauth2_client_fingerprint(u_char *token, size_t len,
    u_char *hex);


static ngx_uint_t  ngx_http_oauth2_client_authorization_hash;

static ngx_http_output_body_filter_pt  ngx_http_next_body_filter;


ngx_int_t
ngx_http_oauth2_client_handler_init(ngx_conf_t *cf)
{
    ngx_http_oauth2_client_authorization_hash =
                      ngx_hash_key((u_char *) "authorization",
                                   sizeof("authorization") - 1);

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


ngx_int_t
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

    if (olcf->client == NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_oauth2_client_ctx_t));
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->client = olcf->client;

        ngx_http_set_ctx(r, ctx, ngx_http_oauth2_client_module);

    } else if (ctx->injected) {
        return NGX_DECLINED;
    }

    if (ctx->subrequest) {

        if (!ctx->done) {
            return NGX_AGAIN;
        }

        rc = ngx_http_oauth2_client_process(r, ctx);

        if (rc != NGX_OK) {
            ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
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
    }

    return rc;
}


static ngx_int_t
ngx_http_oauth2_client_fetch(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx)
{
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                                *body;
    size_t                               len;
    ngx_int_t                            rc;
    ngx_http_request_t                  *sr;
    ngx_http_oauth2_client_conf_t       *client;
    ngx_http_post_subrequest_t          *ps;
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

    ctx->body.len = len;
    ctx->body.data = ngx_pnalloc(r->pool, len);

    if (ctx->body.data != NULL) {
        ngx_memcpy(ctx->body.data, body, len);
    }

    OPENSSL_cleanse(body, len);
    free(body);

    if (ctx->body.data == NULL) {
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

    /*
     * The subrequest starts as a copy of the client's request: give it
     * its own method, headers and body, so that nothing of the client's
     * (cookies, credentials, body) reaches the token endpoint.
     */

    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    if (ngx_http_oauth2_client_subrequest_headers(sr, r->pool, len)
        != NGX_OK
        || ngx_http_oauth2_client_subrequest_body(sr, &ctx->body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->subrequest = sr;

    ngx_http_set_ctx(sr, ctx, ngx_http_oauth2_client_module);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "oauth2 client \"%V\": token subrequest to \"%V\"",
                   &client->name, &client->token_location);

    return NGX_AGAIN;
}


static ngx_int_t
ngx_http_oauth2_client_subrequest_headers(ngx_http_request_t *sr,
    ngx_pool_t *pool, size_t len)
{
    ngx_table_elt_t  *h;

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.content_length_n = len;
    sr->headers_in.keep_alive_n = -1;

    if (ngx_list_init(&sr->headers_in.headers, pool, 2,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    h = ngx_list_push(&sr->headers_in.headers);
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

    sr->headers_in.content_type = h;

    h = ngx_list_push(&sr->headers_in.headers);
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


static ngx_int_t
ngx_http_oauth2_client_subrequest_body(ngx_http_request_t *sr,
    ngx_str_t *body)
{
    ngx_buf_t                *b;
    ngx_chain_t              *cl;
    ngx_http_request_body_t  *rb;

    rb = ngx_pcalloc(sr->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(sr->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->start = b->pos;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl = ngx_alloc_chain_link(sr->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;
    rb->buf = b;

    sr->request_body = rb;
    sr->request_body_no_buffering = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                          size;
    ngx_buf_t                     *b, *resp;
    ngx_chain_t                   *cl;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_oauth2_client_ctx_t  *ctx;

    if (r == r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);

    if (ctx == NULL || ctx->subrequest != r) {
        return ngx_http_next_body_filter(r, in);
    }

    resp = ctx->response;

    if (resp == NULL) {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        resp = ngx_create_temp_buf(r->pool,
                                   clcf->subrequest_output_buffer_size);
        if (resp == NULL) {
            return NGX_ERROR;
        }

        ctx->response = resp;
    }

    /* everything is consumed here: nothing of it reaches the client */

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_size(b);

        if (size > 0 && !ctx->too_big) {

            if (!ngx_buf_in_memory(b) || size > resp->end - resp->last) {
                ctx->too_big = 1;

            } else {
                resp->last = ngx_cpymem(resp->last, b->pos, (size_t) size);
            }
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
     * NGX_ERROR here means nginx could not keep the response (most often
     * a body over subrequest_output_buffer_size); passed on, it would
     * close the client's connection without an answer.  The failure is
     * recorded and the main request answers it with a 502 instead.
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

    /* the upstream's "sending to client" does not describe our lines */

    r->connection->log->action = NULL;

    /* the assertion is single-use: no copy of it outlives its answer */

    ngx_explicit_memzero(ctx->body.data, ctx->body.len);

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

    if (ctx->rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": token request failed "
                      "(HTTP %ui, see the error above)",
                      &client->name, status);
        return NGX_HTTP_BAD_GATEWAY;
    }

    ce = sr->headers_out.content_encoding;

    if (ce && ce->hash != 0 && ce->value.len
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

    if (ctx->response) {
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

    /* the response may hold a token: wipe it */

    ngx_explicit_memzero(body, len);

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
    u_char                              fp[9];
    uint64_t                            now, lifetime, margin;
    ngx_http_oauth2_client_main_conf_t *omcf;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    /*
     * The token leaves the cache a margin before the server's expiry, so
     * that a request never carries a token that dies on its way: 10% of
     * the lifetime, at most a minute.
     */

    now = ngx_http_oauth2_client_now_ms();
    lifetime = (uint64_t) tok->expires_in * 1000;
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
                                            now + lifetime - margin,
                                            r->connection->log);

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_inject(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx)
{
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    /*
     * nginx rejects a request with two Authorization headers, so there is
     * at most one; every match is still replaced, whatever another module
     * may have added.
     */

    found = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Authorization") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Authorization",
                               sizeof("Authorization") - 1)
               == 0)
        {
            h[i].value = ctx->value;

            if (!found) {
                r->headers_in.authorization = &h[i];
                found = 1;
            }
        }
    }

    if (!found) {
        h = ngx_list_push(&r->headers_in.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = ngx_http_oauth2_client_authorization_hash;
        ngx_str_set(&h->key, "Authorization");
        h->lowcase_key = (u_char *) "authorization";
        h->value = ctx->value;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif

        r->headers_in.authorization = h;
    }

    ctx->injected = 1;

    return NGX_DECLINED;
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
