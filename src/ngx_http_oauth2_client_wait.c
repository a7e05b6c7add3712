
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Requests that wait for a token request.  A waiting request sleeps on
 * an event of its own, as limit_req delays a request, in a queue of the
 * client: a token request of this worker that ends wakes the queue at
 * once, with its outcome; one of another worker is polled for, by one
 * timer of the client for all its waiters.  Each request waits at most
 * its oauth2_token_wait_timeout.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static void ngx_http_oauth2_client_wait_handler(ngx_event_t *ev);
static ngx_uint_t ngx_http_oauth2_client_wait_gone(ngx_connection_t *c);
static void ngx_http_oauth2_client_wait_dequeue(
    ngx_http_oauth2_client_conf_t *client, ngx_http_oauth2_client_wait_t *w);
static void ngx_http_oauth2_client_wait_poll(ngx_event_t *ev);
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
            ngx_http_oauth2_client_failed(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
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
        ngx_http_oauth2_client_failed(ctx, 0);
        return ngx_http_oauth2_client_unavailable(r, ctx, 1000);
    }

    left = w->deadline - now;

    if (!w->queued) {
        ngx_queue_insert_tail(&ctx->client->waiters, &w->queue);
        w->queued = 1;
    }

    /*
     * A token request of this worker wakes its waiters when it ends:
     * they sleep till then, or their deadline.  Another worker's is
     * polled for: one lookup every 25 ms for all the client's waiters,
     * which are woken when the answer is not "busy" any more.
     */

    if (ctx->client->fetch == NULL && !ctx->client->poll.timer_set) {
        ctx->client->poll.handler = ngx_http_oauth2_client_wait_poll;
        ctx->client->poll.data = ctx->client;
        ctx->client->poll.log = ngx_cycle->log;
        ctx->client->poll.cancelable = 1;

        ngx_add_timer(&ctx->client->poll, NGX_HTTP_OAUTH2_CLIENT_POLL);
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

    ngx_http_oauth2_client_wait_dequeue(ctx->client, ctx->wait);

    ngx_http_set_log_request(c->log, r);

    if (ngx_http_oauth2_client_wait_gone(c)) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "oauth2 client \"%V\": the client went away while "
                      "the request waited for a token", &ctx->client->name);
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        ngx_http_run_posted_requests(c);
        return;
    }

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
 * Whether the client of the waking request went away.  A main request
 * watches its client while it waits (ngx_http_test_reading()); nothing
 * watches for a subrequest, whose connection events go to the request
 * at the head of the output (its parent's handlers): an HTTP/2 stream
 * reset sets c->error, a close of an HTTP/1.x connection leaves its
 * mark on the read event (EPOLLRDHUP, or a read that returned 0).  Such
 * a request must not go to its upstream for a client that is gone.
 */

static ngx_uint_t
ngx_http_oauth2_client_wait_gone(ngx_connection_t *c)
{
    return c->error || c->read->eof || c->read->pending_eof;
}


/* the request ends, or leaves for a location of another client */

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

    ngx_http_oauth2_client_wait_dequeue(ctx->client, w);
}


/*
 * Every way a waiter leaves the queue: its wake-up, its timer, its end.
 * In a worker that shuts down, a token request of this worker that
 * nobody waits for any more is ended: the event that does it is posted
 * and looks at the queue again when it runs, after the handler of this
 * request (which may wait again) and of the waiters posted before it.
 */

static void
ngx_http_oauth2_client_wait_dequeue(ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_wait_t *w)
{
    if (w->queued) {
        ngx_queue_remove(&w->queue);
        w->queued = 0;
    }

    if (ngx_queue_empty(&client->waiters) && client->poll.timer_set) {
        ngx_del_timer(&client->poll);
    }

    if (ngx_exiting
        && client->fetch != NULL
        && ngx_queue_empty(&client->waiters))
    {
        ngx_post_event(&client->fetch->unwanted, &ngx_posted_events);
    }
}


/*
 * The client's waiters on another worker's token request: the zone is
 * looked at for all of them, with neither a copy of the token nor a
 * claim.  Still busy: again in 25 ms.  Anything else (a token, a
 * backoff, or nobody fetching any more): they all look again, each for
 * itself, and the first to find no token takes the claim.
 */

static void
ngx_http_oauth2_client_wait_poll(ngx_event_t *ev)
{
    ngx_uint_t                        rc;
    ngx_http_oauth2_client_conf_t    *client;
    ngx_http_oauth2_client_lookup_t   lk;

    client = ev->data;

    if (ngx_queue_empty(&client->waiters) || client->fetch != NULL) {
        return;
    }

    ngx_memzero(&lk, sizeof(ngx_http_oauth2_client_lookup_t));

    lk.client = client;
    lk.log = ev->log;

    rc = ngx_http_oauth2_client_cache_lookup(client->shm_zone, &lk);

    if (rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_BUSY) {
        ngx_add_timer(ev, NGX_HTTP_OAUTH2_CLIENT_POLL);
        return;
    }

    ngx_http_oauth2_client_wake(client, NULL);
}


/*
 * The token request f of this worker ended: each waiter is told how,
 * and runs again.  A token is copied to each, so that it serves them
 * even if the zone had no room for it; the request that started f gets
 * f's failure, the others look into the zone again, as do all when f
 * was canceled (another took its place).  Without f (the poll), they
 * all look again.
 */

void
ngx_http_oauth2_client_wake(ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_fetch_t *f)
{
    ngx_uint_t                      n;
    ngx_queue_t                    *q;
    ngx_http_oauth2_client_ctx_t   *ctx;
    ngx_http_oauth2_client_wait_t  *w;

    /* by $oauth2_token_status */
    ngx_int_t   served[NGX_HTTP_OAUTH2_CLIENT_TOKEN_STATUS_N];

    n = 0;
    ngx_memzero(served, sizeof(served));

    while (!ngx_queue_empty(&client->waiters)) {
        q = ngx_queue_head(&client->waiters);

        w = ngx_queue_data(q, ngx_http_oauth2_client_wait_t, queue);
        w->woken = 1;

        ctx = w->event.data;

        /*
         * Those given the token (MISS, WAIT) or the failure (ERROR, or
         * DPOP) now are served: counted for the status, in one critical
         * section after the loop.  The others look into the zone again,
         * as do all without f (the poll).
         */

        if (f == NULL) {
            w->outcome = NGX_DECLINED;

        } else if (f->result.class == NGX_HTTP_OAUTH2_CLIENT_OK) {
            w->outcome = ngx_http_oauth2_client_wait_copy(ctx, f);

            if (w->outcome == NGX_OK) {
                served[ctx->token_status]++;
                n++;
            }

        } else if (w->fetch != 0 && w->fetch == f->id
                   && f->result.class != NGX_HTTP_OAUTH2_CLIENT_CANCELED)
        {
            w->outcome = (f->result.class == NGX_HTTP_OAUTH2_CLIENT_INTERNAL)
                         ? NGX_HTTP_INTERNAL_SERVER_ERROR
                         : NGX_HTTP_BAD_GATEWAY;
            w->dpop = f->result.dpop_refused;

            served[w->dpop ? NGX_HTTP_OAUTH2_CLIENT_STATUS_DPOP
                           : NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR]++;
            n++;

        } else {
            w->outcome = NGX_DECLINED;
        }

        if (w->event.timer_set) {
            ngx_del_timer(&w->event);
        }

        /* posted before the dequeue may post the token request's end */

        ngx_post_event(&w->event, &ngx_posted_events);

        ngx_http_oauth2_client_wait_dequeue(client, w);
    }

    if (n != 0) {
        ngx_http_oauth2_client_cache_served(client->shm_zone, client, served);
    }
}


/*
 * The request gets no token: ERROR, counted for the status (a failure,
 * rare, after a wait or a failed token request, so a critical section of
 * its own), and the status it is answered.  Here, with unavailable(), as
 * both handler.c and the end of a wait call it.
 */

void
ngx_http_oauth2_client_failed(ngx_http_oauth2_client_ctx_t *ctx,
    ngx_int_t status)
{
    ngx_int_t  served[NGX_HTTP_OAUTH2_CLIENT_TOKEN_STATUS_N];

    ngx_memzero(served, sizeof(served));
    served[NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR] = 1;

    ngx_http_oauth2_client_cache_served(ctx->client->shm_zone, ctx->client,
                                        served);

    ctx->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR;

    if (status != 0) {
        ctx->failed = status;
    }
}


/*
 * No token, and none to be had yet: 503, and when to try again.  Here,
 * not in handler.c: the end of a wait answers it too, and wait.c calls
 * no file that calls it.
 */

ngx_int_t
ngx_http_oauth2_client_unavailable(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_msec_t retry)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);

    if (h != NULL) {

        /*
         * A whole element, skipped (hash 0), before the allocation: one
         * the value has no memory for stays in the list, and whoever
         * walks it ($sent_http_, a header filter) reads its key.
         */

        h->hash = 0;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_null(&h->value);
        h->lowcase_key = NULL;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif

        h->value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);

        if (h->value.data != NULL) {
            h->hash = 1;
            h->value.len = ngx_sprintf(h->value.data, "%M",
                                       (retry + 999) / 1000)
                           - h->value.data;
        }
    }

    ctx->failed = NGX_HTTP_SERVICE_UNAVAILABLE;

    return NGX_HTTP_SERVICE_UNAVAILABLE;
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
    ctx->expires = f->expires;

    return NGX_OK;
}
