
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The precontent phase handler: a request in a location with
 * oauth2_token, a main request or a subrequest, gets the client's token
 * from the cache, or waits for the token request of the module, and
 * carries it in its Authorization header (confine.c sets it, in a
 * header list of the request's own).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_int_t ngx_http_oauth2_client_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_oauth2_client_get_token(ngx_http_request_t *r);
static ngx_int_t ngx_http_oauth2_client_woken(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static ngx_int_t ngx_http_oauth2_client_give(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx);
static ngx_int_t ngx_http_oauth2_client_acquire(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx,
    ngx_http_oauth2_client_loc_conf_t *olcf);
static ngx_int_t ngx_http_oauth2_client_start_fetch(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx,
    ngx_http_oauth2_client_loc_conf_t *olcf, ngx_uint_t claim);
static ngx_http_oauth2_client_ctx_t *ngx_http_oauth2_client_create_ctx(
    ngx_http_request_t *r);
static void ngx_http_oauth2_client_recount(ngx_http_oauth2_client_ctx_t *ctx,
    ngx_uint_t as, ngx_uint_t to);


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
     * request.  A phase runs its handlers last registered first: ours is
     * put at the front of the array to run after try_files and mirror,
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
    ngx_int_t                           rc;
    ngx_http_oauth2_client_ctx_t       *ctx;
    ngx_http_oauth2_client_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth2_client_module);

    /*
     * A subrequest (SSI, addition, mirror, auth_request, njs, ...) in a
     * location with oauth2_token gets a token like a main request, in a
     * header list of its own.  The token request, and anything inside
     * it, carries only what the module set: this also keeps it from
     * recursing when oauth2_token is inherited into the token location.
     */

    if (r != r->main
        && (olcf->client == NULL || ngx_http_oauth2_client_request_owns(r)))
    {
        return NGX_DECLINED;
    }

    /* get_ctx()'s first test here: the cache hit makes no call for it */

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);

    if (ctx == NULL && r->internal) {
        ctx = ngx_http_oauth2_client_get_ctx(r);
    }

    if (ctx != NULL && ctx->client != olcf->client) {

        /*
         * An internal redirect brought the request to a location of
         * another client, or of none: the token of the first location
         * must not go there (the rewrite phase took it off already).
         */

        ngx_http_oauth2_client_strip(r);
        ngx_http_oauth2_client_wait_cancel(ctx);

        if (ctx->stripped) {
            ctx->stripped = 0;
            ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE;
            ngx_str_null(&ctx->value);
        }

        if (olcf->client == NULL) {
            return NGX_DECLINED;
        }

        ctx->client = olcf->client;
        ctx->failed = 0;
        ctx->wait = NULL;
    }

    if (olcf->client == NULL) {
        return NGX_DECLINED;
    }

    if (ctx == NULL) {

        /*
         * A subrequest that inherited its parent's token makes a context
         * of its own too: it carries a token looked up afresh, as the
         * parent's may be older.
         */

        ctx = ngx_http_oauth2_client_create_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->client = olcf->client;

    } else if (ctx->stripped) {

        /*
         * An internal redirect of the main request took the token off in
         * the server rewrite phase (confine.c), and brought it to a
         * location of the same client: the token goes on again, a DPoP
         * one with a proof of its own, unless its end of use passed.
         */

        ctx->stripped = 0;

        if ((ngx_msec_int_t) (ctx->expires - ngx_current_msec) > 0) {
            return ngx_http_oauth2_client_give(r, ctx);
        }

        ngx_str_null(&ctx->value);

    } else if (ctx->injected) {

        /*
         * An internal redirect to a location of the same client: the
         * token goes on, unless its end of use passed meanwhile (a slow
         * upstream, then error_page): then it is taken off, and one
         * looked up afresh.  The proof of a DPoP-bound one names the
         * first URI and method, and its jti is spent: a new one goes in
         * its place.
         */

        if ((ngx_msec_int_t) (ctx->expires - ngx_current_msec) > 0) {

            if (ctx->value.data[0] == 'D') {
                return ngx_http_oauth2_client_give(r, ctx);
            }

            return NGX_DECLINED;
        }

        /*
         * Not taken off (the variables would go back to the values they
         * had before the token, losing what the new location's rewrite
         * phase set): the new token goes on over the old one, as
         * inject() does for a token inherited, with the clean state
         * of the first.  Until then nothing runs that could read it.
         */

        ctx->injected = 0;
        ngx_http_oauth2_client_wait_cancel(ctx);
        ctx->wait = NULL;

    } else if (ctx->failed) {
        /* one token attempt a request, whatever error_page does next */
        return ctx->failed;

    } else if (ctx->wait != NULL && ctx->wait->woken) {
        rc = ngx_http_oauth2_client_woken(r, ctx);

        if (rc != NGX_DONE) {
            return rc;
        }
    }

    return ngx_http_oauth2_client_acquire(r, ctx, olcf);
}


/*
 * The token request this request waited for ended in its worker: the
 * request goes on with its token, fails, or (NGX_DONE) looks again.
 */

static ngx_int_t
ngx_http_oauth2_client_woken(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx)
{
    ngx_http_oauth2_client_wait_t  *w;

    w = ctx->wait;
    w->woken = 0;

    if (w->outcome == NGX_OK) {
        /* the waiter got a copy of the token: the cache may be full */
        return ngx_http_oauth2_client_give(r, ctx);
    }

    if (w->outcome == NGX_DECLINED) {
        /* another request's token request failed */
        return NGX_DONE;
    }

    /* the token request this request started failed: 502, or 500 */

    ctx->token_status = w->dpop ? NGX_HTTP_OAUTH2_CLIENT_STATUS_DPOP
                                : NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
    ctx->failed = w->outcome;

    return w->outcome;
}


static ngx_int_t
ngx_http_oauth2_client_acquire(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_http_oauth2_client_loc_conf_t *olcf)
{
    ngx_uint_t                           rc, waited;
    ngx_http_oauth2_client_conf_t       *client;
    ngx_http_oauth2_client_lookup_t      lk;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    client = ctx->client;
    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    lk.client = client;
    lk.pool = r->pool;
    lk.buf = &ctx->buf;
    lk.claim_for = client->deadline + NGX_HTTP_OAUTH2_CLIENT_CLAIM_MARGIN;
    lk.refresh = !ngx_exiting;
    lk.log = r->connection->log;

    rc = ngx_http_oauth2_client_cache_lookup(omcf->shm_zone, &lk);

    waited = (ctx->wait != NULL);

    switch (rc) {

    case NGX_HTTP_OAUTH2_CLIENT_CACHE_HIT:
    case NGX_HTTP_OAUTH2_CLIENT_CACHE_STALE:

        /*
         * The cache counted the request HIT or STALE for the status; one
         * that waited is WAIT (the rare path: a critical section more).
         */

        if (waited) {
            ngx_http_oauth2_client_recount(ctx,
                                   (rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_HIT)
                                   ? NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT
                                   : NGX_HTTP_OAUTH2_CLIENT_STATUS_STALE,
                                   NGX_HTTP_OAUTH2_CLIENT_STATUS_WAIT);
        }

        ctx->token_status = waited ? NGX_HTTP_OAUTH2_CLIENT_STATUS_WAIT
                            : (rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_HIT)
                              ? NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT
                              : NGX_HTTP_OAUTH2_CLIENT_STATUS_STALE;
        ctx->value = lk.value;
        ctx->generation = lk.generation;
        ctx->expires = lk.expires;
        return ngx_http_oauth2_client_give(r, ctx);

    case NGX_HTTP_OAUTH2_CLIENT_CACHE_REFRESH:

        /*
         * The token is live but due for a refresh, and this request won
         * the claim: the module's token request refreshes it, and the
         * request goes on at once with the current token.
         */

        (void) ngx_http_oauth2_client_fetch_start(client, lk.claim,
                                          NGX_HTTP_OAUTH2_CLIENT_FETCH_REFRESH,
                                          r->connection->log);

        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_REFRESH;
        ctx->value = lk.value;
        ctx->generation = lk.generation;
        ctx->expires = lk.expires;
        return ngx_http_oauth2_client_give(r, ctx);

    case NGX_HTTP_OAUTH2_CLIENT_CACHE_MISS:
        return ngx_http_oauth2_client_start_fetch(r, ctx, olcf, lk.claim);

    case NGX_HTTP_OAUTH2_CLIENT_CACHE_BUSY:
        return ngx_http_oauth2_client_wait(r, ctx, olcf->wait_timeout, 0);

    case NGX_HTTP_OAUTH2_CLIENT_CACHE_BACKOFF:
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_BACKOFF;
        return ngx_http_oauth2_client_unavailable(r, ctx, lk.retry);

    case NGX_HTTP_OAUTH2_CLIENT_CACHE_RETIRED:

        /*
         * A reload changed the client while this worker, of the old
         * configuration, still serves requests: the zone is the new
         * configuration's, the token request is made without a claim
         * and its token given to the requests of this worker only.
         */

        if (client->fetch != NULL) {
            return ngx_http_oauth2_client_wait(r, ctx, olcf->wait_timeout,
                                               0);
        }

        return ngx_http_oauth2_client_start_fetch(r, ctx, olcf, 0);

    default: /* NGX_HTTP_OAUTH2_CLIENT_CACHE_ERROR */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": no memory for the token "
                      "(in the request, or in the zone)", &client->name);
        ngx_http_oauth2_client_failed(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


/* the token goes on r; a DPoP-bound one with a proof of r's own */

static ngx_int_t
ngx_http_oauth2_client_give(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx)
{
    ngx_int_t  rc;
    ngx_str_t  proof;

    /* "DPoP <token>": only a dpop client's token endpoint answer is one */

    if (ctx->value.data[0] != 'D') {
        return ngx_http_oauth2_client_inject(r, ctx, NULL);
    }

    rc = ngx_http_oauth2_client_proof(r, ctx, &proof);

    if (rc == NGX_ERROR) {

        /*
         * The request was counted served (HIT, STALE, WAIT...) when the
         * token was found: it is a failure, ERROR, instead.
         */

        if (ctx->token_status != NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE
            && ctx->token_status != NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR)
        {
            ngx_http_oauth2_client_recount(ctx, ctx->token_status,
                                           NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR);
        }

        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
        ctx->failed = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        /* the request's own: 414, 405; the token is fine */
        return rc;
    }

    return ngx_http_oauth2_client_inject(r, ctx, &proof);
}


/*
 * No token, and this request won the claim: the module makes the token
 * request, and the request waits for it like any other.  Its client may
 * go away meanwhile: the token request goes on, for the others.
 */

static ngx_int_t
ngx_http_oauth2_client_start_fetch(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_http_oauth2_client_loc_conf_t *olcf,
    ngx_uint_t claim)
{
    ngx_http_oauth2_client_fetch_t  *f;

    /* the token request starts from a posted event: it cannot end here */

    f = ngx_http_oauth2_client_fetch_start(ctx->client, claim,
                                           NGX_HTTP_OAUTH2_CLIENT_FETCH_MISS,
                                           r->connection->log);
    if (f == NULL) {
        ngx_http_oauth2_client_failed(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->wait == NULL) {
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_MISS;
    }

    return ngx_http_oauth2_client_wait(r, ctx, olcf->wait_timeout, f->id);
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
     * for a subrequest), which have contexts of their own: the request
     * is checked too.
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

    /*
     * What ngx_pool_cleanup_add() does, with the cleanup and the context
     * in one allocation rather than two (the cache hit's cost).  The
     * cleanup's size is a multiple of a pointer's: the context after it
     * is aligned as ngx_palloc() aligns.
     */

    cln = ngx_palloc(r->pool, sizeof(ngx_pool_cleanup_t)
                              + sizeof(ngx_http_oauth2_client_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = (ngx_http_oauth2_client_ctx_t *) (cln + 1);
    ngx_memzero(ctx, sizeof(ngx_http_oauth2_client_ctx_t));

    ctx->request = r;

    cln->handler = ngx_http_oauth2_client_ctx_cleanup;
    cln->data = ctx;
    cln->next = r->pool->cleanup;
    r->pool->cleanup = cln;

    ngx_http_set_ctx(r, ctx, ngx_http_oauth2_client_module);

    return ctx;
}


/*
 * A request that ends while it waits leaves the waiters.  The handler
 * also tells the contexts apart from the other cleanups of the pool
 * (confine.c looks for the record of a token there).
 */

void
ngx_http_oauth2_client_ctx_cleanup(void *data)
{
    ngx_http_oauth2_client_ctx_t  *ctx = data;

    if (ctx->wait != NULL) {
        ngx_http_oauth2_client_wait_cancel(ctx);
    }
}


/* a request counted as "as" for the status is "to" */

static void
ngx_http_oauth2_client_recount(ngx_http_oauth2_client_ctx_t *ctx,
    ngx_uint_t as, ngx_uint_t to)
{
    ngx_int_t  served[NGX_HTTP_OAUTH2_CLIENT_TOKEN_STATUS_N];

    ngx_memzero(served, sizeof(served));
    served[as] = -1;
    served[to] = 1;

    ngx_http_oauth2_client_cache_served(ctx->client->shm_zone, ctx->client,
                                        served);
}
