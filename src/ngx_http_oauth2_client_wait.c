
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Requests that wait for a token request.  A waiting request sleeps on
 * an event of its own, as limit_req delays a request, in a queue of the
 * client: a token request of this worker that ends wakes the queue at
 * once, with its outcome; one of another worker is polled for.  Each
 * request waits at most its oauth2_token_wait_timeout.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static void ngx_http_oauth2_client_wait_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_oauth2_client_wait_copy(
    ngx_http_oauth2_client_ctx_t *ctx, ngx_http_oauth2_client_fetch_t *f);


/*
 * The request waits: for the token request it started (id), or for the
 * one another request started (id 0).  NGX_AGAIN, or the status to
 * answer when its time is up.
 */

ngx_int_t
ngx_http_oauth2_client_wait(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_msec_t timeout, ngx_uint_t id)
{
    ngx_msec_t                      now, left;
    ngx_http_oauth2_client_wait_t  *w;

    now = ngx_current_msec;
    w = ctx->wait;

    if (w == NULL) {
        w = ngx_pcalloc(r->pool, sizeof(ngx_http_oauth2_client_wait_t));
        if (w == NULL) {
            ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
            ctx->failed = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        w->event.handler = ngx_http_oauth2_client_wait_handler;
        w->event.data = ctx;
        w->event.log = r->connection->log;
        w->deadline = now + timeout;

        ctx->wait = w;
    }

    if (id != 0) {
        w->fetch = id;

    } else if (w->fetch == 0) {
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_WAIT;
    }

    if ((ngx_msec_int_t) (w->deadline - now) <= 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "oauth2 client \"%V\": no token after waiting %M ms "
                      "for another token request", &ctx->client->name,
                      timeout);
        ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;
        return ngx_http_oauth2_client_unavailable(r, ctx, 1000);
    }

    left = w->deadline - now;

    if (!w->queued) {
        ngx_queue_insert_tail(&ctx->client->waiters, &w->queue);
        w->queued = 1;
    }

    /*
     * A token request of this worker wakes its waiters when it ends:
     * they sleep till then, or their deadline; another worker's is
     * polled for.
     */

    if (ctx->client->fetch == NULL) {
        left = ngx_min(left, NGX_HTTP_OAUTH2_CLIENT_POLL);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "oauth2 client \"%V\": waiting, %M ms left",
                   &ctx->client->name, w->deadline - now);

    /*
     * Not cancelable: a request in flight is served to its end even by a
     * worker that shuts down gracefully, as nginx does with any other.
     */

    ngx_add_timer(&w->event, left);

    r->write_event_handler = ngx_http_request_empty_handler;

    if (r == r->main) {
        r->read_event_handler = ngx_http_test_reading;
    }

    return NGX_AGAIN;
}


/* the timer, or the wake-up: the request runs its phases again */

static void
ngx_http_oauth2_client_wait_handler(ngx_event_t *ev)
{
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_oauth2_client_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->request;
    c = r->connection;

    if (ctx->wait->queued) {
        ngx_queue_remove(&ctx->wait->queue);
        ctx->wait->queued = 0;
    }

    ngx_http_set_log_request(c->log, r);

    if (r == r->main) {
        if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            ngx_http_run_posted_requests(c);
            return;
        }

        r->read_event_handler = ngx_http_block_reading;
    }

    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);

    ngx_http_run_posted_requests(c);
}


/*
 * The request ends, or leaves for a location of another client.  In a
 * worker that shuts down, a token request nobody waits for any more is
 * ended: the event that does it is posted, it runs apart from this
 * request's end.
 */

void
ngx_http_oauth2_client_wait_cancel(ngx_http_oauth2_client_ctx_t *ctx)
{
    ngx_http_oauth2_client_wait_t  *w;

    w = ctx->wait;

    if (w == NULL) {
        return;
    }

    if (w->event.timer_set) {
        ngx_del_timer(&w->event);
    }

    if (w->event.posted) {
        ngx_delete_posted_event(&w->event);
    }

    if (!w->queued) {
        return;
    }

    ngx_queue_remove(&w->queue);
    w->queued = 0;

    if (ngx_exiting
        && ctx->client->fetch != NULL
        && ngx_queue_empty(&ctx->client->waiters))
    {
        ngx_post_event(&ctx->client->fetch->unwanted, &ngx_posted_events);
    }
}


/*
 * The token request f of this worker ended: each waiter is told how,
 * and runs again.  A token is copied to each, so that it serves them
 * even if the zone had no room for it; the request that started f gets
 * f's failure, the others look into the zone again, as do all when f
 * was canceled (another took its place).
 */

void
ngx_http_oauth2_client_wake(ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_fetch_t *f)
{
    ngx_queue_t                    *q;
    ngx_http_oauth2_client_ctx_t   *ctx;
    ngx_http_oauth2_client_wait_t  *w;

    while (!ngx_queue_empty(&client->waiters)) {
        q = ngx_queue_head(&client->waiters);
        ngx_queue_remove(q);

        w = ngx_queue_data(q, ngx_http_oauth2_client_wait_t, queue);
        w->queued = 0;
        w->woken = 1;

        ctx = w->event.data;

        if (f->result.class == NGX_HTTP_OAUTH2_CLIENT_OK) {
            w->outcome = ngx_http_oauth2_client_wait_copy(ctx, f);

        } else if (w->fetch != 0 && w->fetch == f->id
                   && f->result.class != NGX_HTTP_OAUTH2_CLIENT_CANCELED)
        {
            w->outcome = (f->result.class == NGX_HTTP_OAUTH2_CLIENT_INTERNAL)
                         ? NGX_HTTP_INTERNAL_SERVER_ERROR
                         : NGX_HTTP_BAD_GATEWAY;
            w->dpop = f->result.dpop_refused;

        } else {
            w->outcome = NGX_DECLINED;
        }

        if (w->event.timer_set) {
            ngx_del_timer(&w->event);
        }

        ngx_post_event(&w->event, &ngx_posted_events);
    }
}


static ngx_int_t
ngx_http_oauth2_client_wait_copy(ngx_http_oauth2_client_ctx_t *ctx,
    ngx_http_oauth2_client_fetch_t *f)
{
    u_char  *p;

    p = ngx_pnalloc(ctx->request->pool, f->result.value.len);
    if (p == NULL) {
        return NGX_DECLINED;
    }

    ngx_memcpy(p, f->result.value.data, f->result.value.len);

    ctx->value.data = p;
    ctx->value.len = f->result.value.len;
    ctx->generation = f->generation;

    return NGX_OK;
}
