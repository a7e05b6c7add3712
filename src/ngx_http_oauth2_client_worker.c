
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The life of a worker, as far as tokens go: at its start, a prefetch
 * per client; a watcher that learns of its graceful shutdown, when it
 * ends the token requests nobody of it waits for and starts no more; at
 * its exit, every token request ended and every claim it holds given
 * back, before nginx checks for open sockets.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


/* how often a worker that starts looks for another's prefetched token */
#define NGX_HTTP_OAUTH2_CLIENT_PREFETCH_POLL  250


static void ngx_http_oauth2_client_worker_prefetch(ngx_event_t *ev);
static void ngx_http_oauth2_client_worker_shutdown(ngx_event_t *ev);
static void ngx_http_oauth2_client_worker_unwatch(void);


/* told by nginx that the worker shuts down: see worker_init() below */
static ngx_connection_t  *ngx_http_oauth2_client_watcher;


/*
 * A worker starts: a 0 ms timer per client fetches its token, so that the
 * first request finds one, at start and after a reload that changed the
 * client.  A watcher connection learns that the worker shuts down: nginx
 * calls the read handler of every idle connection then, and skips those
 * of fd -1 only (as lua-nginx-module's timers do).
 */

ngx_int_t
ngx_http_oauth2_client_worker_init(ngx_cycle_t *cycle)
{
    ngx_uint_t                           i;
    ngx_event_t                         *ev;
    ngx_connection_t                    *c;
    ngx_http_oauth2_client_conf_t      **clients, *client;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    omcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_oauth2_client_module);

    if (omcf == NULL || omcf->clients.nelts == 0) {
        return NGX_OK;
    }

    clients = omcf->clients.elts;

    for (i = 0; i < omcf->clients.nelts; i++) {
        client = clients[i];

        if (client->server == NULL || !client->prefetch) {
            continue;
        }

        ev = &client->prefetch_event;

        ev->handler = ngx_http_oauth2_client_worker_prefetch;
        ev->data = client;
        ev->log = cycle->log;
        ev->cancelable = 1;

        ngx_add_timer(ev, 0);
    }

    c = ngx_http_oauth2_client_connection_get(cycle->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->fd = (ngx_socket_t) -2;
    c->idle = 1;
    c->read->handler = ngx_http_oauth2_client_worker_shutdown;
    c->data = cycle;

    ngx_http_oauth2_client_watcher = c;

    return NGX_OK;
}


static void
ngx_http_oauth2_client_worker_prefetch(ngx_event_t *ev)
{
    ngx_uint_t                        rc;
    ngx_http_oauth2_client_conf_t    *client;
    ngx_http_oauth2_client_lookup_t   lk;

    client = ev->data;

    if (ngx_exiting || client->fetch != NULL) {
        return;
    }

    ngx_memzero(&lk, sizeof(ngx_http_oauth2_client_lookup_t));

    lk.client = client;
    lk.claim_for = client->deadline + NGX_HTTP_OAUTH2_CLIENT_CLAIM_MARGIN;
    lk.refresh = 1;
    lk.log = ev->log;

    rc = ngx_http_oauth2_client_cache_lookup(client->shm_zone, &lk);

    /*
     * Another process fetches it: looked at again until the token is
     * there, as that process may give up its claim (it was left by a
     * reload, and shuts down).
     */

    if (rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_BUSY) {
        ngx_add_timer(ev, NGX_HTTP_OAUTH2_CLIENT_PREFETCH_POLL);
        return;
    }

    if (rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_MISS) {
        (void) ngx_http_oauth2_client_fetch_start(client, lk.claim,
                                         NGX_HTTP_OAUTH2_CLIENT_FETCH_PREFETCH,
                                         ev->log);

    } else if (rc == NGX_HTTP_OAUTH2_CLIENT_CACHE_REFRESH) {
        (void) ngx_http_oauth2_client_fetch_start(client, lk.claim,
                                          NGX_HTTP_OAUTH2_CLIENT_FETCH_REFRESH,
                                          ev->log);
    }
}


/*
 * The worker shuts down gracefully: it starts no refresh or prefetch any
 * more, and ends at once the token requests none of its requests waits
 * for, so that the shutdown does not wait on them.  The others end as
 * usual, at their deadline at the latest.
 */

static void
ngx_http_oauth2_client_worker_shutdown(ngx_event_t *ev)
{
    ngx_uint_t                           i;
    ngx_connection_t                    *c;
    ngx_http_oauth2_client_conf_t      **clients, *client;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    c = ev->data;

    if (!c->close) {
        return;
    }

    ngx_http_oauth2_client_worker_unwatch();

    omcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_oauth2_client_module);
    clients = omcf->clients.elts;

    for (i = 0; i < omcf->clients.nelts; i++) {
        client = clients[i];

        if (client->prefetch_event.timer_set) {
            ngx_del_timer(&client->prefetch_event);
        }

        if (client->fetch != NULL && ngx_queue_empty(&client->waiters)) {
            ngx_http_oauth2_client_fetch_cancel(client->fetch);
        }
    }
}


/* the worker exits: every claim it holds is given back */

void
ngx_http_oauth2_client_worker_exit(ngx_cycle_t *cycle)
{
    ngx_uint_t                           i;
    ngx_http_oauth2_client_conf_t      **clients;
    ngx_http_oauth2_client_retired_t    *rt;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    ngx_http_oauth2_client_worker_unwatch();

    omcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_oauth2_client_module);

    if (omcf == NULL) {
        return;
    }

    clients = omcf->clients.elts;

    for (i = 0; i < omcf->clients.nelts; i++) {
        if (clients[i]->fetch != NULL) {
            ngx_http_oauth2_client_fetch_cancel(clients[i]->fetch);
        }
    }

    ngx_http_oauth2_client_fetch_exit();

    /*
     * An old worker's own token (a reload changed its client) is in the
     * worker's memory, not the zone's: wiped before it is freed, so that
     * no core dump, nor the next owner of the memory, reads it.  After
     * the token requests: the end of one may still have stored it.
     */

    for (i = 0; i < omcf->clients.nelts; i++) {
        rt = &clients[i]->retired;

        if (rt->token != NULL) {
            ngx_explicit_memzero(rt->token, rt->cap);
            ngx_free(rt->token);
            rt->token = NULL;
            rt->cap = 0;
            rt->len = 0;
        }
    }
}


static void
ngx_http_oauth2_client_worker_unwatch(void)
{
    if (ngx_http_oauth2_client_watcher != NULL) {
        ngx_http_oauth2_client_connection_free(ngx_http_oauth2_client_watcher);
        ngx_http_oauth2_client_watcher = NULL;
    }
}
