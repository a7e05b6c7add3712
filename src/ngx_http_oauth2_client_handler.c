
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The request path: the precontent phase handler, the token subrequests
 * (in front of a request, or behind it to refresh), their responses,
 * waiting for another's fetch, and the Authorization header.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_int_t ngx_http_oauth2_client_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_oauth2_client_get_token(ngx_http_request_t *r);
static ngx_int_t ngx_http_oauth2_client_acquire(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx,
    ngx_http_oauth2_client_loc_conf_t *olcf);
static ngx_int_t ngx_http_oauth2_client_subrequest(ngx_http_request_t *r);
static ngx_uint_t ngx_http_oauth2_client_in_token_request(
    ngx_http_request_t *r);
static ngx_http_oauth2_client_ctx_t *ngx_http_oauth2_client_create_ctx(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_oauth2_client_wait(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx,
    ngx_http_oauth2_client_loc_conf_t *olcf, ngx_pid_t owner);
static void ngx_http_oauth2_client_wait_handler(ngx_http_request_t *r);
static void ngx_http_oauth2_client_wake(ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_unavailable(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_msec_t retry);
static ngx_http_oauth2_client_fetch_t *ngx_http_oauth2_client_fetch(
    ngx_http_request_t *r, ngx_http_oauth2_client_conf_t *client,
    ngx_uint_t claim, ngx_uint_t background);
static void ngx_http_oauth2_client_fetch_cleanup(void *data);
static void ngx_http_oauth2_client_wipe(ngx_http_oauth2_client_fetch_t *f);
static ngx_int_t ngx_http_oauth2_client_request_headers(ngx_pool_t *pool,
    ngx_list_t *headers);
static ngx_http_request_body_t *ngx_http_oauth2_client_request_body(
    ngx_pool_t *pool, ngx_str_t *body);
static ngx_int_t ngx_http_oauth2_client_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_oauth2_client_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_oauth2_client_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_oauth2_client_process(ngx_http_request_t *sr,
    ngx_http_oauth2_client_fetch_t *f);
static ngx_int_t ngx_http_oauth2_client_parse(ngx_http_request_t *sr,
    ngx_http_oauth2_client_fetch_t *f, u_char *msg, size_t size);
static ngx_int_t ngx_http_oauth2_client_store(ngx_http_request_t *sr,
    ngx_http_oauth2_client_fetch_t *f, ngx_http_oauth2_client_token_t *tok,
    u_char *msg, size_t size);
static void ngx_http_oauth2_client_backoff(ngx_http_request_t *sr,
    ngx_http_oauth2_client_fetch_t *f, u_char *msg);
static ngx_msec_t ngx_http_oauth2_client_rate_wait(ngx_http_upstream_t *u);
static void ngx_http_oauth2_client_fingerprint(u_char *token, size_t len,
    u_char *hex);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_oauth2_client_handler_init(ngx_conf_t *cf)
{
    ngx_uint_t                  n;
    ngx_array_t                *handlers;
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

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

    /* the header filter sees the upstream's 401s, for oauth2_token_purge */

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_oauth2_client_header_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_handler(ngx_http_request_t *r)
{
    char       *action;
    ngx_int_t   rc;

    /*
     * The lines the module logs while it gets the token say so, rather
     * than what the connection did last (an auth_request's upstream,
     * say); the content handler that runs next finds the action as it
     * was.
     */

    action = r->connection->log->action;
    r->connection->log->action = "getting a token";

    rc = ngx_http_oauth2_client_get_token(r);

    r->connection->log->action = action;

    return rc;
}


static ngx_int_t
ngx_http_oauth2_client_get_token(ngx_http_request_t *r)
{
    ngx_http_oauth2_client_ctx_t       *ctx;
    ngx_http_oauth2_client_fetch_t     *f;
    ngx_http_oauth2_client_loc_conf_t  *olcf;

    if (r != r->main) {
        return ngx_http_oauth2_client_subrequest(r);
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth2_client_module);

    ctx = ngx_http_oauth2_client_get_ctx(r);

    if (ctx != NULL && ctx->client != olcf->client) {

        /*
         * An internal redirect brought the request to a location of
         * another client, or of none: the token of the first location
         * must not go there (the rewrite phase took it off already).
         */

        ngx_http_oauth2_client_strip(r);

        if (olcf->client == NULL) {
            return NGX_DECLINED;
        }

        ctx->client = olcf->client;
        ctx->fetch = NULL;
        ctx->failed = 0;
        ctx->waited = 0;
        ctx->wait_deadline = 0;
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
        return ctx->failed;
    }

    f = ctx->fetch;

    if (f == NULL) {
        return ngx_http_oauth2_client_acquire(r, ctx, olcf);
    }

    /* this request's own token request */

    if (!f->processed) {
        return NGX_AGAIN;
    }

    if (f->status != NGX_OK) {
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
        ctx->failed = f->status;
        return f->status;
    }

    ctx->value = f->value;
    ctx->generation = f->generation;

    return ngx_http_oauth2_client_inject(r, ctx);
}


/*
 * A subrequest in a location with oauth2_token (SSI, addition, mirror,
 * auth_request, njs, ...): it carries the token of the location's client
 * in a header list of its own, like a main request, taken from the cache
 * afresh even when it inherited one from its parent, which may be older.
 */

static ngx_int_t
ngx_http_oauth2_client_subrequest(ngx_http_request_t *r)
{
    ngx_uint_t                           status;
    ngx_http_oauth2_client_ctx_t        *ctx;
    ngx_http_oauth2_client_lookup_t      lk;
    ngx_http_oauth2_client_loc_conf_t   *olcf;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth2_client_module);

    /*
     * A location without a client: the rewrite phase took any token off.
     * The token request, and anything inside it, carries only what the
     * module set; this also keeps it from recursing when oauth2_token is
     * inherited into the token location.
     */

    if (olcf->client == NULL || ngx_http_oauth2_client_in_token_request(r)) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_oauth2_client_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_http_oauth2_client_create_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else if (ctx->injected && ctx->client == olcf->client) {
        return NGX_DECLINED;
    }

    ctx->client = olcf->client;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    status = ngx_http_oauth2_client_cache_acquire(omcf->shm_zone, ctx->client,
                                                  r->pool, &ctx->buf,
                                                  olcf->wait_timeout, 0, &lk);

    switch (status) {

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_REFRESH:

        /* the refresh is left to the next main request: the claim goes */

        ngx_http_oauth2_client_cache_release(omcf->shm_zone, ctx->client,
                                             lk.claim);
        status = NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT;

        /* fall through */

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT:
    case NGX_HTTP_OAUTH2_CLIENT_STATUS_STALE:
        ctx->token_status = status;
        ctx->value = lk.value;
        ctx->generation = lk.generation;
        return ngx_http_oauth2_client_inject(r, ctx);

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_MISS:
        ngx_http_oauth2_client_cache_release(omcf->shm_zone, ctx->client,
                                             lk.claim);

        /* fall through */

    default:

        /*
         * For now, a subrequest neither makes a token request nor waits
         * for one (the token request is a subrequest of the request that
         * needs it, and the wait holds the main request's events): with
         * no live token, it goes on without any credential, neither a
         * token it inherited nor the client's Authorization.  Once the
         * token request is the module's own, a subrequest waits like a
         * main request.
         */

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "oauth2 client \"%V\": no live token for the "
                       "subrequest, none sent", &ctx->client->name);

        ngx_http_oauth2_client_strip_all(r);

        return NGX_DECLINED;
    }
}


/* a token subrequest is known by its post_subrequest handler */

static ngx_uint_t
ngx_http_oauth2_client_in_token_request(ngx_http_request_t *r)
{
    for ( /* void */ ; r != NULL; r = r->parent) {
        if (r->post_subrequest != NULL
            && r->post_subrequest->handler == ngx_http_oauth2_client_done)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_oauth2_client_acquire(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_http_oauth2_client_loc_conf_t *olcf)
{
    ngx_uint_t                           status;
    ngx_http_oauth2_client_conf_t       *client;
    ngx_http_oauth2_client_fetch_t      *f;
    ngx_http_oauth2_client_lookup_t      lk;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    client = ctx->client;
    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    status = ngx_http_oauth2_client_cache_acquire(omcf->shm_zone, client,
                                                  r->pool, &ctx->buf,
                                                  olcf->wait_timeout, 0, &lk);

    /*
     * A fetch in flight in a process that is gone (a worker killed, say)
     * is taken over at once, rather than at its claim's deadline.
     */

    if (status == NGX_HTTP_OAUTH2_CLIENT_STATUS_WAIT
        && lk.owner != ngx_pid
        && kill(lk.owner, 0) == -1
        && ngx_errno == NGX_ESRCH)
    {
        status = ngx_http_oauth2_client_cache_acquire(omcf->shm_zone, client,
                                                      r->pool, &ctx->buf,
                                                      olcf->wait_timeout,
                                                      lk.owner, &lk);
    }

    if (lk.took_over) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "oauth2 client \"%V\": the token request of process "
                      "%P is gone or late, taking it over",
                      &client->name, lk.took_over);
    }

    switch (status) {

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT:
    case NGX_HTTP_OAUTH2_CLIENT_STATUS_STALE:
        ctx->token_status = ctx->waited ? NGX_HTTP_OAUTH2_CLIENT_STATUS_WAIT
                                        : status;
        ctx->value = lk.value;
        ctx->generation = lk.generation;
        return ngx_http_oauth2_client_inject(r, ctx);

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_REFRESH:

        /*
         * The token is live but due for a refresh, and this request won
         * the claim: the refresh runs behind it, and it goes on with
         * the current token.  A refresh that cannot start is not this
         * request's failure.
         */

        if (ngx_http_oauth2_client_fetch(r, client, lk.claim, 1) == NULL) {
            ngx_http_oauth2_client_cache_release(omcf->shm_zone, client,
                                                 lk.claim);
        }

        ctx->token_status = status;
        ctx->value = lk.value;
        ctx->generation = lk.generation;
        return ngx_http_oauth2_client_inject(r, ctx);

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_MISS:

        f = ngx_http_oauth2_client_fetch(r, client, lk.claim, 0);
        if (f == NULL) {
            ngx_http_oauth2_client_cache_release(omcf->shm_zone, client,
                                                 lk.claim);
            ngx_http_oauth2_client_wake(client);
            ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
            ctx->failed = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (!ctx->waited) {
            ctx->token_status = status;
        }

        ctx->fetch = f;
        return NGX_AGAIN;

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_WAIT:
        return ngx_http_oauth2_client_wait(r, ctx, olcf, lk.owner);

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_BACKOFF:
        ctx->token_status = status;
        return ngx_http_oauth2_client_unavailable(r, ctx, lk.retry);

    default: /* NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": no memory for the token "
                      "(in the request, or in the zone)", &client->name);
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
        ctx->failed = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


ngx_http_oauth2_client_ctx_t *
ngx_http_oauth2_client_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_oauth2_client_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);

    if (ctx != NULL || !r->internal) {
        return ctx;
    }

    /*
     * An internal redirect wiped the context: the pool cleanup holds it.
     * The pool is shared with the subrequests (and with the main request,
     * for a subrequest), which have contexts of their own.
     */

    for (cln = r->pool->cleanup; cln != NULL; cln = cln->next) {
        if (cln->handler == ngx_http_oauth2_client_ctx_cleanup) {
            ctx = cln->data;

            if (ctx->request == r) {
                ngx_http_set_ctx(r, ctx, ngx_http_oauth2_client_module);
                return ctx;
            }
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

    ctx->request = r;

    cln->handler = ngx_http_oauth2_client_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_oauth2_client_module);

    return ctx;
}


void
ngx_http_oauth2_client_ctx_cleanup(void *data)
{
    ngx_http_oauth2_client_ctx_t  *ctx = data;

    /* a request that ends while it waits leaves the waiters */

    if (ctx->queued) {
        ngx_queue_remove(&ctx->queue);
        ctx->queued = 0;
    }
}


/*
 * Another fetch is in flight.  The request sleeps on a timer of its own
 * write event, as limit_req's delay does, and looks at the zone again
 * when it fires; a fetch of this worker that ends wakes it at once.
 */

static ngx_int_t
ngx_http_oauth2_client_wait(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_http_oauth2_client_loc_conf_t *olcf,
    ngx_pid_t owner)
{
    ngx_msec_t  now, left;

    now = ngx_current_msec;

    if (!ctx->waited) {
        ctx->waited = 1;
        ctx->wait_deadline = now + olcf->wait_timeout;
    }

    ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_WAIT;

    if ((ngx_msec_int_t) (ctx->wait_deadline - now) <= 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": no token after waiting %M ms "
                      "for another token request",
                      &ctx->client->name, olcf->wait_timeout);
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
        return ngx_http_oauth2_client_unavailable(r, ctx, 1000);
    }

    left = ctx->wait_deadline - now;

    if (!ctx->queued) {
        ngx_queue_insert_tail(&ctx->client->waiters, &ctx->queue);
        ctx->queued = 1;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "oauth2 client \"%V\": waiting, %M ms left",
                   &ctx->client->name, left);

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_oauth2_client_wait_handler;

    /*
     * A fetch of this worker wakes its waiters when it ends: they sleep
     * till then, or the deadline; another worker's is polled for.
     */

    if (owner != ngx_pid) {
        left = ngx_min(left, NGX_HTTP_OAUTH2_CLIENT_POLL);
    }

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, left);

    return NGX_AGAIN;
}


static void
ngx_http_oauth2_client_wait_handler(ngx_http_request_t *r)
{
    ngx_event_t                   *wev;
    ngx_http_oauth2_client_ctx_t  *ctx;

    wev = r->connection->write;

    if (wev->delayed) {
        /* a write event that is not our timer: keep waiting */

        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);

    if (ctx != NULL && ctx->queued) {
        ngx_queue_remove(&ctx->queue);
        ctx->queued = 0;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}


/* the fetch of this worker ended: its waiters look at the zone now */

static void
ngx_http_oauth2_client_wake(ngx_http_oauth2_client_conf_t *client)
{
    ngx_queue_t                   *q;
    ngx_event_t                   *wev;
    ngx_http_oauth2_client_ctx_t  *ctx;

    while (!ngx_queue_empty(&client->waiters)) {
        q = ngx_queue_head(&client->waiters);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_oauth2_client_ctx_t, queue);
        ctx->queued = 0;

        wev = ctx->request->connection->write;

        if (wev->timer_set) {
            ngx_del_timer(wev);
        }

        /* as if the timer had fired: the request handler clears both */

        wev->delayed = 1;
        wev->timedout = 1;

        ngx_post_event(wev, &ngx_posted_events);
    }
}


static ngx_int_t
ngx_http_oauth2_client_unavailable(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_msec_t retry)
{
    ngx_table_elt_t  *h;

    /* no token, and none to be had yet: 503, and when to try again */

    h = ngx_list_push(&r->headers_out.headers);

    if (h != NULL) {
        h->value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);

        if (h->value.data != NULL) {
            h->hash = 1;
            ngx_str_set(&h->key, "Retry-After");
            h->value.len = ngx_sprintf(h->value.data, "%M",
                                       (retry + 999) / 1000)
                           - h->value.data;
#if (nginx_version >= 1023000)
            h->next = NULL;
#endif

        } else {
            h->hash = 0;
        }
    }

    ctx->failed = NGX_HTTP_SERVICE_UNAVAILABLE;

    return NGX_HTTP_SERVICE_UNAVAILABLE;
}


static ngx_http_oauth2_client_fetch_t *
ngx_http_oauth2_client_fetch(ngx_http_request_t *r,
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t claim,
    ngx_uint_t background)
{
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                                *body;
    size_t                               len;
    ngx_int_t                            rc;
    ngx_uint_t                           flags;
    ngx_list_t                           headers;
    ngx_pool_cleanup_t                  *cln;
    ngx_http_request_t                  *sr;
    ngx_http_request_body_t             *rb;
    ngx_http_variable_value_t           *variables;
    ngx_http_core_main_conf_t           *cmcf;
    ngx_http_post_subrequest_t          *ps;
    ngx_http_oauth2_client_fetch_t      *f;
    ngx_http_oauth2_client_assertion_t   a;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    cln = ngx_pool_cleanup_add(r->pool,
                               sizeof(ngx_http_oauth2_client_fetch_t));
    if (cln == NULL) {
        return NULL;
    }

    f = cln->data;
    ngx_memzero(f, sizeof(ngx_http_oauth2_client_fetch_t));

    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    f->shm_zone = omcf->shm_zone;
    f->client = client;
    f->claim = claim;
    f->background = background;

    /* from here on, a fetch that never ends gives its claim back */

    cln->handler = ngx_http_oauth2_client_fetch_cleanup;

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
        return NULL;
    }

    f->body.data = ngx_pnalloc(r->pool, len);

    if (f->body.data != NULL) {
        ngx_memcpy(f->body.data, body, len);
        f->body.len = len;
    }

    OPENSSL_cleanse(body, len);
    free(body);

    if (f->body.data == NULL) {
        return NULL;
    }

    /*
     * Everything the subrequest needs is made before it exists: once
     * created, it runs, and it starts as a copy of the client's request.
     * It gets its own method, headers, body and variable values, so that
     * nothing of the client's (cookies, credentials, body, variables
     * already evaluated from them) reaches the token endpoint.
     */

    if (ngx_http_oauth2_client_request_headers(r->pool, &headers) != NGX_OK) {
        return NULL;
    }

    rb = ngx_http_oauth2_client_request_body(r->pool, &f->body);
    if (rb == NULL) {
        return NULL;
    }

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    variables = ngx_pcalloc(r->pool, cmcf->variables.nelts
                                     * sizeof(ngx_http_variable_value_t));
    if (variables == NULL) {
        return NULL;
    }

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NULL;
    }

    ps->handler = ngx_http_oauth2_client_done;
    ps->data = f;

    /*
     * A refresh is a background subrequest: it outlives the wait of the
     * request that started it, which goes on with the current token.
     */

    flags = NGX_HTTP_SUBREQUEST_IN_MEMORY
            | (background ? NGX_HTTP_SUBREQUEST_BACKGROUND
                          : NGX_HTTP_SUBREQUEST_WAITED);

    rc = ngx_http_subrequest(r, &client->token_location, NULL, &sr, ps,
                             flags);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": could not create the token "
                      "subrequest", &client->name);
        return NULL;
    }

    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.headers = headers;
    sr->headers_in.headers.last = &sr->headers_in.headers.part;
    sr->headers_in.content_type = headers.part.elts;
    sr->headers_in.content_length_n = f->body.len;
    sr->headers_in.keep_alive_n = -1;

    sr->request_body = rb;
    sr->request_body_no_buffering = 0;
    sr->variables = variables;

    f->subrequest = sr;
    f->sent = ngx_current_msec;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "oauth2 client \"%V\": %s token subrequest to \"%V\"",
                   &client->name, background ? "background" : "a",
                   &client->token_location);

    return f;
}


static void
ngx_http_oauth2_client_fetch_cleanup(void *data)
{
    ngx_http_oauth2_client_fetch_t  *f = data;

    ngx_http_oauth2_client_wipe(f);

    if (f->processed) {
        return;
    }

    /*
     * The request ended before its token request did (the client went
     * away): the claim is given back, and the waiters of this worker try
     * themselves, instead of waiting out its deadline.
     */

    ngx_http_oauth2_client_cache_release(f->shm_zone, f->client, f->claim);

    f->processed = 1;

    ngx_http_oauth2_client_wake(f->client);
}


/* the assertion and the raw response never outlive their use */

static void
ngx_http_oauth2_client_wipe(ngx_http_oauth2_client_fetch_t *f)
{
    if (f->body.len) {
        ngx_explicit_memzero(f->body.data, f->body.len);
        f->body.len = 0;
    }

    if (f->response != NULL) {
        ngx_explicit_memzero(f->response->start,
                             f->response->end - f->response->start);
        f->response = NULL;
    }
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
    off_t                            size, len;
    ngx_buf_t                       *b, *resp;
    ngx_chain_t                     *cl;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_oauth2_client_fetch_t  *f;

    /*
     * A token subrequest is known by its post_subrequest handler, which
     * an internal redirect of the token location leaves in place.
     */

    if (r == r->main
        || r->post_subrequest == NULL
        || r->post_subrequest->handler != ngx_http_oauth2_client_done)
    {
        return ngx_http_next_body_filter(r, in);
    }

    f = r->post_subrequest->data;

    resp = f->response;

    if (resp == NULL && !f->too_big) {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        len = r->headers_out.content_length_n;

        if (len > (off_t) clcf->subrequest_output_buffer_size) {
            f->too_big = 1;

        } else {
            if (len < 0) {
                len = clcf->subrequest_output_buffer_size;
            }

            resp = ngx_create_temp_buf(r->pool, len ? (size_t) len : 1);
            if (resp == NULL) {
                return NGX_ERROR;
            }

            f->response = resp;
        }
    }

    /* everything is consumed here: nothing of it reaches the client */

    for (cl = in; cl != NULL; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_size(b);

        if (size > 0 && !f->too_big) {

            if (!ngx_buf_in_memory(b) || size > resp->end - resp->last) {
                f->too_big = 1;

            } else {
                resp->last = ngx_cpymem(resp->last, b->pos, (size_t) size);
            }
        }

        /*
         * The last buffer comes only with a response the upstream module
         * read to its end; a failure after the header ends without it.
         */

        if (b->last_buf || b->last_in_chain) {
            f->complete = 1;
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


/*
 * oauth2_token_purge: the upstream refused the token this request
 * carried, so no other request gets it; the next one fetches a new one.
 */

static ngx_int_t
ngx_http_oauth2_client_header_filter(ngx_http_request_t *r)
{
    u_char                               fp[9];
    ngx_int_t                            rc;
    ngx_http_oauth2_client_ctx_t        *ctx;
    ngx_http_oauth2_client_loc_conf_t   *olcf;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    if (r != r->main
        || r->headers_out.status != NGX_HTTP_UNAUTHORIZED
        || r->upstream == NULL)
    {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);
    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth2_client_module);

    if (ctx == NULL || !ctx->injected || !olcf->purge
        || ctx->client != olcf->client)
    {
        return ngx_http_next_header_filter(r);
    }

    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    rc = ngx_http_oauth2_client_cache_purge(omcf->shm_zone, ctx->client,
                                           ctx->generation);

    if (rc == NGX_OK || rc == NGX_BUSY) {
        ngx_http_oauth2_client_fingerprint(
                   ctx->value.data + sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1,
                   ctx->value.len - (sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1),
                   fp);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "oauth2 client \"%V\": the upstream answered 401 to "
                      "token sha256:%s, %s", &ctx->client->name, fp,
                      rc == NGX_OK ? "dropped from the cache"
                                   : "kept: it replaced a dropped token "
                                     "less than 10 s ago");
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_oauth2_client_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_oauth2_client_fetch_t  *f = data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "oauth2 client \"%V\": token subrequest done: %i",
                   &f->client->name, rc);

    /*
     * Called once or more as the subrequest finalizes: the first final
     * call decides; NGX_AGAIN is not final.
     */

    if (rc != NGX_AGAIN && !f->processed) {
        f->rc = rc;
        f->processed = 1;

        if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST
            || rc == NGX_HTTP_REQUEST_TIME_OUT
            || sr->connection->error)
        {
            /*
             * The client went away and took the token request with it:
             * not the token endpoint's failure, so no backoff; the claim
             * is given back and the waiters of this worker try again.
             */

            f->status = NGX_HTTP_CLIENT_CLOSED_REQUEST;
            ngx_http_oauth2_client_cache_release(f->shm_zone, f->client,
                                                 f->claim);

        } else {
            ngx_http_oauth2_client_process(sr, f);
        }

        ngx_http_oauth2_client_wipe(f);
        ngx_http_oauth2_client_wake(f->client);
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


static void
ngx_http_oauth2_client_process(ngx_http_request_t *sr,
    ngx_http_oauth2_client_fetch_t *f)
{
    char    *action;
    u_char   msg[NGX_HTTP_OAUTH2_CLIENT_ERRLEN + 256];

    /*
     * The lines logged here (the new token, the failure, the zone's) say
     * what the module does, not what the upstream last did ("sending to
     * client"); the action is put back after, so that the request a
     * refresh runs behind goes on logging its own.
     */

    action = sr->connection->log->action;
    sr->connection->log->action = "processing the token response";

    f->status = ngx_http_oauth2_client_parse(sr, f, msg, sizeof(msg));

    if (f->status == NGX_HTTP_BAD_GATEWAY) {
        ngx_http_oauth2_client_backoff(sr, f, msg);

    } else if (f->status != NGX_OK) {
        /* out of memory: no backoff for that, the claim is given back */
        ngx_http_oauth2_client_cache_release(f->shm_zone, f->client,
                                             f->claim);
    }

    sr->connection->log->action = action;
}


/*
 * Reads the token response: NGX_OK with the token stored, or
 * NGX_HTTP_BAD_GATEWAY with what went wrong in msg, NUL-terminated.
 */

static ngx_int_t
ngx_http_oauth2_client_parse(ngx_http_request_t *sr,
    ngx_http_oauth2_client_fetch_t *f, u_char *msg, size_t size)
{
    int                              rc;
    char                             err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char                          *body, *last;
    size_t                           len;
    ngx_uint_t                       status;
    ngx_table_elt_t                 *ce;
    ngx_http_upstream_t             *u;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_oauth2_client_conf_t   *client;
    ngx_http_oauth2_client_token_t   tok;

    client = f->client;
    u = sr->upstream;
    last = msg + size - 1;

    /* the status nginx gave the subrequest, an error page's included */

    status = sr->headers_out.status;

    if (status == 0 && f->rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        status = f->rc;
    }

    if (u == NULL) {
        *ngx_slprintf(msg, last, "token endpoint location \"%V\" not found "
                      "or without proxy_pass (status %ui)",
                      &client->token_location, status) = '\0';
        return NGX_HTTP_BAD_GATEWAY;
    }

    /*
     * An answer whose first line is no HTTP status line is taken by
     * nginx for an HTTP/0.9 response ("upstream sent no valid HTTP/1.0
     * header"): a 200 for the upstream's state, no status of its own.
     */

    if (u->headers_in.status_n == 0
        && u->state != NULL
        && u->state->status == NGX_HTTP_OK)
    {
        *ngx_slprintf(msg, last, "no valid HTTP status line in the answer "
                      "of the token endpoint through \"%V\" (see the "
                      "upstream error above)", &client->token_location) = '\0';
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (u->headers_in.status_n == 0) {
        *ngx_slprintf(msg, last, "no response from the token endpoint "
                      "through \"%V\" (status %ui, see the upstream error "
                      "above)", &client->token_location, status) = '\0';
        return NGX_HTTP_BAD_GATEWAY;
    }

    status = u->headers_in.status_n;

    if (f->too_big) {
        clcf = ngx_http_get_module_loc_conf(sr, ngx_http_core_module);

        *ngx_slprintf(msg, last, "token endpoint response (HTTP %ui) larger "
                      "than subrequest_output_buffer_size (%uz): raise it "
                      "in location \"%V\"", status,
                      clcf->subrequest_output_buffer_size,
                      &client->token_location) = '\0';
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (f->rc == NGX_ERROR || !f->complete) {
        *ngx_slprintf(msg, last, "token endpoint response (HTTP %ui) is "
                      "incomplete, see the upstream error above",
                      status) = '\0';
        return NGX_HTTP_BAD_GATEWAY;
    }

    ce = sr->headers_out.content_encoding;

    if (ce != NULL && ce->hash != 0 && ce->value.len
        && !(ce->value.len == 8
             && ngx_strncasecmp(ce->value.data, (u_char *) "identity", 8)
                == 0))
    {
        *ngx_slprintf(msg, last, "token endpoint response (HTTP %ui) is "
                      "encoded with \"%V\", which is not supported",
                      status, &ce->value) = '\0';
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (f->response != NULL) {
        body = f->response->pos;
        len = f->response->last - f->response->pos;

    } else {
        body = (u_char *) "";
        len = 0;
    }

    /* the token is parsed straight into its header value */

    f->value.data = ngx_pnalloc(sr->pool,
                           sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1 + len);
    if (f->value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tok.access_token = ngx_cpymem(f->value.data,
                                  NGX_HTTP_OAUTH2_CLIENT_BEARER,
                                  sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1);

    rc = ngx_http_oauth2_client_token_parse((unsigned) status, body, len,
                                            &tok, err, sizeof(err));

    if (rc != 0) {
        *ngx_slprintf(msg, last, "token request failed: %s", err) = '\0';
        return NGX_HTTP_BAD_GATEWAY;
    }

    f->value.len = sizeof(NGX_HTTP_OAUTH2_CLIENT_BEARER) - 1
                   + tok.access_token_len;

    return ngx_http_oauth2_client_store(sr, f, &tok, msg, size);
}


static ngx_int_t
ngx_http_oauth2_client_store(ngx_http_request_t *sr,
    ngx_http_oauth2_client_fetch_t *f, ngx_http_oauth2_client_token_t *tok,
    u_char *msg, size_t size)
{
    u_char                          fp[9];
    ngx_msec_t                      lifetime, margin, end, window, refresh;
    ngx_http_oauth2_client_conf_t  *client;

    client = f->client;

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
    end = f->sent + lifetime - margin;

    /* a token already at its end of use when it comes is never used */

    if ((ngx_msec_int_t) (end - ngx_current_msec) <= 0) {
        *ngx_slprintf(msg, msg + size - 1, "token request failed: the token "
                      "(expires_in %L s) ends before its answer came, %M ms "
                      "after the request", tok->expires_in,
                      ngx_current_msec - f->sent) = '\0';
        f->value.len = 0;
        return NGX_HTTP_BAD_GATEWAY;
    }

    /*
     * The refresh starts refresh_before ahead of that end, plus up to a
     * quarter more, drawn anew for every token, so that a fleet of nginx
     * nodes does not refresh in step.
     */

    window = client->refresh_pct ? lifetime / 100 * client->refresh_pct
                                   + lifetime % 100 * client->refresh_pct
                                     / 100
                                 : client->refresh_time;

    window += (ngx_msec_t) ngx_random() % (window / 4 + 1);

    refresh = end - window;

    if ((ngx_msec_int_t) (refresh - f->sent) < 0) {
        refresh = f->sent;
    }

    ngx_http_oauth2_client_fingerprint(tok->access_token,
                                       tok->access_token_len, fp);

    ngx_log_error(NGX_LOG_INFO, sr->connection->log, 0,
                  "oauth2 client \"%V\": new token sha256:%s, expires in "
                  "%L s%s", &client->name, fp, tok->expires_in,
                  tok->expires_in_capped ? " (capped)" : "");

    /* a token that could not be cached still serves this request */

    (void) ngx_http_oauth2_client_cache_store(f->shm_zone, client,
                                              f->claim, tok->access_token,
                                              tok->access_token_len, end,
                                              refresh, &f->generation,
                                              sr->connection->log);

    return NGX_OK;
}


/*
 * A failed token request: no new attempt before a backoff shared by all
 * workers.  Server errors, timeouts and bad answers back off 1 s, then
 * twice as long each time, up to a minute; a 429 waits as long as the
 * server says; a client refused as misconfigured (400, 401, 403) waits
 * a minute and up to ten, and the log says what to check.
 */

static void
ngx_http_oauth2_client_backoff(ngx_http_request_t *sr,
    ngx_http_oauth2_client_fetch_t *f, u_char *msg)
{
    char        *hint;
    ngx_uint_t   status;
    ngx_msec_t   min, max, wait, delay;

    status = sr->upstream ? sr->upstream->headers_in.status_n : 0;

    min = NGX_HTTP_OAUTH2_CLIENT_BACKOFF_MIN;
    max = NGX_HTTP_OAUTH2_CLIENT_BACKOFF_MAX;
    wait = 0;
    hint = "";

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        wait = ngx_http_oauth2_client_rate_wait(sr->upstream);

    } else if (status == NGX_HTTP_BAD_REQUEST
               || status == NGX_HTTP_UNAUTHORIZED
               || status == NGX_HTTP_FORBIDDEN)
    {
        min = NGX_HTTP_OAUTH2_CLIENT_REFUSED_MIN;
        max = NGX_HTTP_OAUTH2_CLIENT_REFUSED_MAX;

        if (ngx_strstr(msg, "\"invalid_client\"") != NULL) {
            hint = ": the server does not accept the client; check "
                   "client_id, key_id, private_key (its public key "
                   "registered with the server) and that token_endpoint is "
                   "the URL the server expects";

        } else if (ngx_strstr(msg, "\"invalid_scope\"") != NULL) {
            hint = ": check scope against the scopes granted to the "
                   "client";

        } else if (ngx_strstr(msg, "\"unauthorized_client\"") != NULL
                   || ngx_strstr(msg, "\"unsupported_grant_type\"") != NULL)
        {
            hint = ": the client must be allowed the client credentials "
                   "grant";

        } else if (ngx_strstr(msg, "dpop") != NULL) {
            hint = ": the client requires DPoP, which is not supported; "
                   "turn it off for the client";

        } else {
            hint = ": likely a configuration error of the client or of "
                   "its settings on the server";
        }
    }

    delay = ngx_http_oauth2_client_cache_fail(f->shm_zone, f->client,
                                              f->claim, min, max, wait);

    if (delay == 0) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "oauth2 client \"%V\": %s; another token request "
                      "had taken over", &f->client->name, msg);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                  "oauth2 client \"%V\": %s; next attempt in "
                  "%M.%03M s%s", &f->client->name, msg,
                  delay / 1000, delay % 1000, hint);
}


/*
 * How long a 429 asks to wait: until X-Rate-Limit-Reset (epoch seconds,
 * taken relative to the response's Date, so that clock skew does not
 * matter), or Retry-After (seconds or a date).  Where several headers
 * say it, the longest wait any of them gives counts: a server that sends
 * two has no reason to be taken at its shorter word.  0 when none says.
 */

static ngx_msec_t
ngx_http_oauth2_client_rate_wait(ngx_http_upstream_t *u)
{
    time_t            now, t, wait;
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    now = ngx_time();

    if (u->headers_in.date != NULL) {
        t = ngx_parse_http_time(u->headers_in.date->value.data,
                                u->headers_in.date->value.len);
        if (t != NGX_ERROR) {
            now = t;
        }
    }

    wait = 0;
    found = 0;

    part = &u->headers_in.headers.part;
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

        /* each made a wait in seconds from now: no sum that may overflow */

        if (h[i].key.len == sizeof("X-Rate-Limit-Reset") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "X-Rate-Limit-Reset",
                               h[i].key.len) == 0)
        {
            t = ngx_atotm(h[i].value.data, h[i].value.len);
            if (t == NGX_ERROR) {
                continue;
            }

            t -= now;

        } else if (h[i].key.len == sizeof("Retry-After") - 1
                   && ngx_strncasecmp(h[i].key.data, (u_char *) "Retry-After",
                                      h[i].key.len) == 0)
        {
            t = ngx_atotm(h[i].value.data, h[i].value.len);

            if (t == NGX_ERROR) {
                t = ngx_parse_http_time(h[i].value.data, h[i].value.len);
                if (t == NGX_ERROR) {
                    continue;
                }

                t -= now;
            }

        } else {
            continue;
        }

        if (!found || t > wait) {
            wait = t;
            found = 1;
        }
    }

    if (!found) {
        return 0;
    }

    /*
     * A second at least, an hour at most: a server's word within reason.
     * The cap is compared in seconds, before any multiplication, so that
     * no value, however far ahead, wraps around to a short wait.
     */

    if (wait < 1) {
        return NGX_HTTP_OAUTH2_CLIENT_RATE_MIN;
    }

    if (wait >= (time_t) (NGX_HTTP_OAUTH2_CLIENT_RATE_MAX / 1000)) {
        return NGX_HTTP_OAUTH2_CLIENT_RATE_MAX;
    }

    return (ngx_msec_t) wait * 1000;
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
