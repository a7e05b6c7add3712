
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The token request on the wire.  nginx runs a subrequest only for a
 * main request, and a subrequest dies with it: the token request is an
 * in-memory subrequest of a main request of the module's own, on a
 * connection of the module's own, tied to no client.  The connection
 * comes from ngx_get_connection(), so that the c->destroyed read after
 * the last handler is of valid memory, but has no socket (fd -1) and no
 * events; its main request takes the configuration of a server that
 * uses the client.  Neither is ever closed by nginx: every end of the
 * subrequest becomes one that posts the main request, whose write
 * handler tells the module, and the module frees them.  The response is
 * captured by a body filter of the module's own.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


/* what nginx finds in c->log->data, and what our log handler adds */
typedef struct {
    ngx_http_log_ctx_t                 http;
    ngx_http_oauth2_client_request_t  *rq;
} ngx_http_oauth2_client_log_ctx_t;


static ngx_int_t ngx_http_oauth2_client_request_main(
    ngx_http_oauth2_client_request_t *rq, ngx_http_core_srv_conf_t *cscf);
static void ngx_http_oauth2_client_request_event(ngx_event_t *ev);
static u_char *ngx_http_oauth2_client_request_log_error(ngx_log_t *log,
    u_char *buf, size_t len);
static ngx_int_t ngx_http_oauth2_client_request_headers(
    ngx_http_oauth2_client_request_t *rq, ngx_list_t *headers,
    ngx_http_oauth2_client_token_request_t *tr);
static ngx_http_request_body_t *ngx_http_oauth2_client_request_body(
    ngx_pool_t *pool, ngx_str_t *body);
static ngx_int_t ngx_http_oauth2_client_request_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_oauth2_client_request_finished(ngx_http_request_t *r);
static void ngx_http_oauth2_client_request_terminate(void *data);
static void ngx_http_oauth2_client_request_terminated(ngx_event_t *ev);
static void ngx_http_oauth2_client_request_unblocked(ngx_http_request_t *r);
static void ngx_http_oauth2_client_request_free(
    ngx_http_oauth2_client_request_t *rq);
static ngx_int_t ngx_http_oauth2_client_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_oauth2_client_request_init(ngx_conf_t *cf)
{
    /*
     * The token response is captured by a body filter of our own, at the
     * top of the chain, rather than by nginx's in-memory subrequest
     * buffer: that one fails a response over subrequest_output_buffer_size
     * by marking the connection broken.  The same size limit is kept
     * here, and an oversized response becomes a clear log line.
     */

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_oauth2_client_body_filter;

    return NGX_OK;
}


ngx_int_t
ngx_http_oauth2_client_request_create(ngx_http_oauth2_client_request_t *rq,
    ngx_pool_t *pool, ngx_http_core_srv_conf_t *cscf)
{
    ngx_log_t                         *log;
    ngx_connection_t                  *c;
    struct sockaddr_in                *sin;
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_oauth2_client_log_ctx_t  *lctx;

    log = ngx_palloc(pool, sizeof(ngx_log_t));
    lctx = ngx_pcalloc(pool, sizeof(ngx_http_oauth2_client_log_ctx_t));
    sin = ngx_pcalloc(pool, sizeof(struct sockaddr_in));

    if (log == NULL || lctx == NULL || sin == NULL) {
        return NGX_ERROR;
    }

    c = ngx_http_oauth2_client_connection_get(ngx_cycle->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    rq->connection = c;

    c->pool = pool;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);
    c->start_time = ngx_current_msec;

    /*
     * The token request logs to the error_log of the server, with a
     * context of its own: nginx sets current_request in it.
     */

    *log = *ngx_cycle->log;
    log->connection = c->number;
    log->handler = ngx_http_oauth2_client_request_log_error;
    log->data = lctx;
    log->action = NULL;

    lctx->rq = rq;
    lctx->http.connection = c;

    c->log = log;
    c->read->log = log;
    c->write->log = log;

    clcf = cscf->ctx->loc_conf[ngx_http_core_module.ctx_index];
    ngx_set_connection_log(c, clcf->error_log);

    /*
     * Variables of the token location ($remote_addr, $server_addr, ...)
     * read addresses: nginx itself, on the loopback.  The events are
     * "active" so that nginx never adds them for the missing socket.
     */

    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    c->sockaddr = (struct sockaddr *) sin;
    c->socklen = sizeof(struct sockaddr_in);
    c->local_sockaddr = c->sockaddr;
    c->local_socklen = c->socklen;
    ngx_str_set(&c->addr_text, "127.0.0.1");

    c->read->active = 1;
    c->write->active = 1;

    /*
     * nginx arms timers on the events of a request's connection and runs
     * their handler: limit_req's delay, an aio thread's completion.  They
     * get what an HTTP connection has, the handler of the request that
     * is active on it.  A write never blocks here (the response stays in
     * memory): ready, so that no send_timeout timer is armed for an
     * unbuffered response, and no socket option to set (setsockopt() on
     * fd -1 fails: an alert and a 502).
     */

    c->read->handler = ngx_http_oauth2_client_request_event;
    c->write->handler = ngx_http_oauth2_client_request_event;
    c->write->ready = 1;

    c->tcp_nodelay = NGX_TCP_NODELAY_DISABLED;
    c->tcp_nopush = NGX_TCP_NOPUSH_DISABLED;

    return ngx_http_oauth2_client_request_main(rq, cscf);
}


static ngx_int_t
ngx_http_oauth2_client_request_main(ngx_http_oauth2_client_request_t *rq,
    ngx_http_core_srv_conf_t *cscf)
{
    ngx_time_t                        *tp;
    ngx_connection_t                  *c;
    ngx_http_cleanup_t                *cln;
    ngx_http_request_t                *r;
    ngx_http_core_main_conf_t         *cmcf;
    ngx_http_oauth2_client_log_ctx_t  *lctx;

    c = rq->connection;

    r = ngx_pcalloc(c->pool, sizeof(ngx_http_request_t));
    if (r == NULL) {
        return NGX_ERROR;
    }

    r->signature = NGX_HTTP_MODULE;
    r->connection = c;
    r->pool = c->pool;
    r->main = r;
    r->count = 1;

    r->main_conf = cscf->ctx->main_conf;
    r->srv_conf = cscf->ctx->srv_conf;
    r->loc_conf = cscf->ctx->loc_conf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    r->ctx = ngx_pcalloc(r->pool, sizeof(void *) * ngx_http_max_module);
    r->variables = ngx_pcalloc(r->pool, cmcf->variables.nelts
                                        * sizeof(ngx_http_variable_value_t));

    if (r->ctx == NULL || r->variables == NULL
        || ngx_list_init(&r->headers_out.headers, r->pool, 1,
                         sizeof(ngx_table_elt_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    r->method = NGX_HTTP_POST;
    ngx_str_set(&r->method_name, "POST");
    r->http_version = NGX_HTTP_VERSION_11;
    ngx_str_set(&r->http_protocol, "HTTP/1.1");
    ngx_str_set(&r->schema, "http");

    r->headers_in.content_length_n = 0;
    r->headers_in.keep_alive_n = -1;
    r->uri_changes = NGX_HTTP_MAX_URI_CHANGES + 1;
    r->subrequests = NGX_HTTP_MAX_SUBREQUESTS + 1;
    r->http_state = NGX_HTTP_PROCESS_REQUEST_STATE;

    tp = ngx_timeofday();
    r->start_sec = tp->sec;
    r->start_msec = tp->msec;

    /* never access-logged: nginx logs a request it frees, and we free it */
    r->logged = 1;

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_oauth2_client_request_finished;

    c->data = r;
    c->requests++;

    lctx = c->log->data;
    lctx->http.request = r;
    lctx->http.current_request = r;

    rq->request = r;

    /*
     * nginx terminates a request where it cannot go on (no memory to post
     * the main request when the subrequest ends): the cleanups of the
     * main request run first, then its termination is posted, which
     * would close the connection down to close() of fd -1 and destroy
     * the pool.  Our cleanup stops the posted requests of the connection
     * and ends the token request from an event of its own.
     */

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_oauth2_client_request_terminate;
    cln->data = rq;

    rq->terminated.handler = ngx_http_oauth2_client_request_terminated;
    rq->terminated.data = rq;
    rq->terminated.log = c->log;

    return NGX_OK;
}


/*
 * As ngx_http_request_handler() runs the request of an HTTP connection,
 * without its c->close case: nobody closes this connection but us.  The
 * posted requests run after, as they do there; they may end the token
 * request, and the connection with it (c->destroyed).
 */

static void
ngx_http_oauth2_client_request_event(ngx_event_t *ev)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    c = ev->data;
    r = c->data;

    ngx_http_set_log_request(c->log, r);

    if (ev->delayed && ev->timedout) {
        ev->delayed = 0;
        ev->timedout = 0;
    }

    if (ev->write) {
        r->write_event_handler(r);

    } else {
        r->read_event_handler(r);
    }

    ngx_http_run_posted_requests(c);
}


/*
 * The token request: a POST to the token location, with exactly the
 * headers and body given, in memory.
 */

ngx_int_t
ngx_http_oauth2_client_request_send(ngx_http_oauth2_client_request_t *rq,
    ngx_http_oauth2_client_token_request_t *tr)
{
    ngx_int_t                    rc;
    ngx_pool_t                  *pool;
    ngx_list_t                   headers;
    ngx_http_request_t          *r, *sr;
    ngx_http_request_body_t     *rb;
    ngx_http_variable_value_t   *variables;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_post_subrequest_t  *ps;

    r = rq->request;
    pool = r->pool;

    rq->body.data = ngx_pnalloc(pool, tr->len);
    if (rq->body.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(rq->body.data, tr->body, tr->len);
    rq->body.len = tr->len;

    /*
     * Everything the subrequest needs is made before it exists: once
     * created, it runs.  It gets its own method, headers, body and
     * variable values.
     */

    if (ngx_http_oauth2_client_request_headers(rq, &headers, tr) != NGX_OK) {
        return NGX_ERROR;
    }

    rb = ngx_http_oauth2_client_request_body(pool, &rq->body);
    if (rb == NULL) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    variables = ngx_pcalloc(pool, cmcf->variables.nelts
                                  * sizeof(ngx_http_variable_value_t));
    if (variables == NULL) {
        return NGX_ERROR;
    }

    ps = ngx_palloc(pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_oauth2_client_request_done;
    ps->data = rq;

    rc = ngx_http_subrequest(r, rq->location, NULL, &sr, ps,
                             NGX_HTTP_SUBREQUEST_IN_MEMORY
                             |NGX_HTTP_SUBREQUEST_WAITED);
    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.headers = headers;
    sr->headers_in.headers.last = &sr->headers_in.headers.part;
    sr->headers_in.content_type = headers.part.elts;
    sr->headers_in.content_length_n = rq->body.len;
    sr->headers_in.keep_alive_n = -1;

    sr->request_body = rb;
    sr->request_body_no_buffering = 0;
    sr->variables = variables;

    rq->subrequest = sr;

    return NGX_OK;
}


/* runs the posted subrequest; rq may be gone when this returns */

void
ngx_http_oauth2_client_request_run(ngx_http_oauth2_client_request_t *rq)
{
    ngx_http_run_posted_requests(rq->connection);
}


/*
 * The end: what the subrequest left behind goes (the upstream's cleanup
 * closes a connection to the token endpoint still open), the secrets
 * are wiped, the cleanups of the pool run, the connection is given back
 * and the pool, rq in it, to rq->release().
 *
 * A thread of an aio pool may still work for the request (aio_write of
 * a temp file): its task is in the pool, and is handed back to this
 * worker when done.  The rest of the end waits for it then, as nginx
 * waits for r->main->blocked: the thread's completion runs the
 * request's write handler, which is ours now.
 */

void
ngx_http_oauth2_client_request_close(ngx_http_oauth2_client_request_t *rq,
    ngx_pool_t *pool)
{
    ngx_http_cleanup_t  *cln;
    ngx_http_request_t  *r;

    r = rq->request;

    rq->closing = 1;
    rq->pool = pool;

    if (rq->terminated.posted) {
        ngx_delete_posted_event(&rq->terminated);
    }

    if (r != NULL) {
        cln = r->cleanup;
        r->cleanup = NULL;

        while (cln) {
            if (cln->handler) {
                cln->handler(cln->data);
            }

            cln = cln->next;
        }
    }

    if (rq->body.len) {
        ngx_explicit_memzero(rq->body.data, rq->body.len);
    }

    if (rq->response != NULL) {
        ngx_explicit_memzero(rq->response->start,
                             rq->response->end - rq->response->start);
    }

    if (r != NULL && r->blocked) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rq->connection->log, 0,
                       "oauth2 client \"%V\": token request freed once "
                       "its aio is done", rq->client);

        r->write_event_handler = ngx_http_oauth2_client_request_unblocked;

        if (rq->subrequest != NULL) {
            rq->subrequest->write_event_handler =
                                     ngx_http_oauth2_client_request_unblocked;
            rq->subrequest->read_event_handler = ngx_http_block_reading;
        }

        return;
    }

    ngx_http_oauth2_client_request_free(rq);
}


static void
ngx_http_oauth2_client_request_unblocked(ngx_http_request_t *r)
{
    ngx_http_oauth2_client_log_ctx_t  *lctx;

    if (r->main->blocked) {
        return;
    }

    lctx = r->connection->log->data;

    ngx_http_oauth2_client_request_free(lctx->rq);
}


static void
ngx_http_oauth2_client_request_free(ngx_http_oauth2_client_request_t *rq)
{
    ngx_pool_t          *pool;
    ngx_connection_t    *c;
    ngx_pool_cleanup_t  *pc;
    void               (*release)(ngx_pool_t *pool);

    c = rq->connection;
    pool = rq->pool;
    release = rq->release;

    if (c != NULL) {
        c->destroyed = 1;
    }

    /*
     * The cleanups of the pool go first: they may get a connection, which
     * must not be this one.
     */

    for (pc = pool->cleanup; pc != NULL; pc = pc->next) {
        if (pc->handler) {
            pc->handler(pc->data);
        }
    }

    pool->cleanup = NULL;

    if (c != NULL) {
        ngx_http_oauth2_client_connection_free(c);
    }

    release(pool);
}


/* 1 if r is a token request, or a subrequest inside one */

ngx_uint_t
ngx_http_oauth2_client_request_owns(ngx_http_request_t *r)
{
    return r->main->connection->log->handler
           == ngx_http_oauth2_client_request_log_error;
}


static u_char *
ngx_http_oauth2_client_request_log_error(ngx_log_t *log, u_char *buf,
    size_t len)
{
    u_char                            *p;
    ngx_http_request_t                *r;
    ngx_http_upstream_t               *u;
    ngx_http_oauth2_client_log_ctx_t  *lctx;

    p = buf;

    if (log->action) {
        p = ngx_snprintf(p, len, " while %s", log->action);
        len -= p - buf;
        buf = p;
    }

    lctx = log->data;

    p = ngx_snprintf(p, len, ", oauth2 client: \"%V\", token request: \"%V\"",
                     lctx->rq->client, lctx->rq->location);
    len -= p - buf;
    buf = p;

    r = lctx->http.current_request;
    u = (r != NULL) ? r->upstream : NULL;

    if (u != NULL && u->peer.name != NULL) {
        p = ngx_snprintf(p, len, ", upstream: \"%V%V%V\"",
                         &u->schema, u->peer.name, &u->uri);
    }

    return p;
}


static ngx_int_t
ngx_http_oauth2_client_request_headers(ngx_http_oauth2_client_request_t *rq,
    ngx_list_t *headers, ngx_http_oauth2_client_token_request_t *tr)
{
    size_t            len;
    ngx_uint_t        i, n;
    ngx_pool_t       *pool;
    ngx_table_elt_t  *h;

    static ngx_str_t  names[] = {
        ngx_string("Content-Type"),
        ngx_string("Accept")
    };

    static ngx_str_t  values[] = {
        ngx_string("application/x-www-form-urlencoded"),
        ngx_string("application/json")
    };

    pool = rq->request->pool;
    n = 2 + tr->nheaders;

    if (ngx_list_init(headers, pool, n, sizeof(ngx_table_elt_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the first header is Content-Type: headers_in.content_type to it */

    for (i = 0; i < n; i++) {
        h = ngx_list_push(headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        if (i < 2) {
            h->key = names[i];
            h->value = values[i];

        } else {
            h->key.data = (u_char *) tr->headers[i - 2].name;
            h->key.len = ngx_strlen(h->key.data);

            len = ngx_strlen(tr->headers[i - 2].value);

            h->value.data = ngx_pnalloc(pool, len);
            if (h->value.data == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(h->value.data, tr->headers[i - 2].value, len);
            h->value.len = len;
        }

        h->lowcase_key = ngx_pnalloc(pool, h->key.len);
        if (h->lowcase_key == NULL) {
            return NGX_ERROR;
        }

        h->hash = ngx_hash_strlow(h->lowcase_key, h->key.data, h->key.len);
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif
    }

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


/*
 * The subrequest finalizes.  Any final rc becomes NGX_OK, which nginx
 * handles by posting the main request: an error, passed on, would have
 * nginx terminate the main request and close the connection, which is
 * ours to free.  Nothing on a fake connection can break.
 */

static ngx_int_t
ngx_http_oauth2_client_request_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_oauth2_client_request_t  *rq = data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "oauth2 client \"%V\": token subrequest done: %i",
                   rq->client, rc);

    if (rc == NGX_AGAIN) {
        return rc;
    }

    if (!rq->done) {
        rq->done = 1;
        rq->rc = rc;
    }

    sr->connection->error = 0;

    return NGX_OK;
}


/* the write handler of our main request: the subrequest has ended */

static void
ngx_http_oauth2_client_request_finished(ngx_http_request_t *r)
{
    ngx_http_oauth2_client_log_ctx_t  *lctx;

    lctx = r->connection->log->data;

    r->write_event_handler = ngx_http_request_empty_handler;

    lctx->rq->handler(lctx->rq->data);
}


/* a cleanup of our main request: only nginx's termination runs it */

static void
ngx_http_oauth2_client_request_terminate(void *data)
{
    ngx_http_oauth2_client_request_t  *rq = data;

    if (rq->closing) {
        return;
    }

    ngx_log_error(NGX_LOG_ALERT, rq->connection->log, 0,
                  "oauth2 client \"%V\": nginx terminated the token "
                  "request", rq->client);

    rq->connection->destroyed = 1;

    ngx_post_event(&rq->terminated, &ngx_posted_events);
}


static void
ngx_http_oauth2_client_request_terminated(ngx_event_t *ev)
{
    ngx_http_oauth2_client_request_t  *rq = ev->data;

    rq->handler(rq->data);
}


static ngx_int_t
ngx_http_oauth2_client_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                              size, len;
    ngx_buf_t                         *b, *resp;
    ngx_chain_t                       *cl;
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_oauth2_client_request_t  *rq;

    /*
     * A token subrequest is known by its post_subrequest handler, which
     * an internal redirect of the token location leaves in place.
     */

    if (r == r->main
        || r->post_subrequest == NULL
        || r->post_subrequest->handler != ngx_http_oauth2_client_request_done)
    {
        return ngx_http_next_body_filter(r, in);
    }

    rq = r->post_subrequest->data;
    resp = rq->response;

    if (resp == NULL && !rq->too_big) {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        len = r->headers_out.content_length_n;

        if (len > (off_t) clcf->subrequest_output_buffer_size) {
            rq->too_big = 1;

        } else {
            if (len < 0) {
                len = clcf->subrequest_output_buffer_size;
            }

            resp = ngx_create_temp_buf(r->pool, len ? (size_t) len : 1);
            if (resp == NULL) {
                return NGX_ERROR;
            }

            rq->response = resp;
        }
    }

    /* everything is consumed here */

    for (cl = in; cl != NULL; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_size(b);

        if (size > 0 && !rq->too_big) {

            if (!ngx_buf_in_memory(b) || size > resp->end - resp->last) {
                rq->too_big = 1;

            } else {
                resp->last = ngx_cpymem(resp->last, b->pos, (size_t) size);
            }
        }

        /*
         * The last buffer comes only with a response the upstream module
         * read to its end; a failure after the header ends without it.
         */

        if (b->last_buf || b->last_in_chain) {
            rq->complete = 1;
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
 * A connection with no socket.  ngx_get_connection() is given fd 0, as
 * lua-nginx-module does: with select or poll, nginx indexes its files by
 * the descriptor, and -1 is no index; the slot of fd 0 is left as it was.
 */

ngx_connection_t *
ngx_http_oauth2_client_connection_get(ngx_log_t *log)
{
    ngx_connection_t  *c, *saved;

    saved = (ngx_cycle->files != NULL) ? ngx_cycle->files[0] : NULL;

    c = ngx_get_connection(0, log);

    if (ngx_cycle->files != NULL) {
        ngx_cycle->files[0] = saved;
    }

    if (c != NULL) {
        c->fd = (ngx_socket_t) -1;
    }

    return c;
}


void
ngx_http_oauth2_client_connection_free(ngx_connection_t *c)
{
    ngx_connection_t  *saved;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;
    c->destroyed = 1;

    saved = (ngx_cycle->files != NULL) ? ngx_cycle->files[0] : NULL;

    c->fd = 0;
    ngx_free_connection(c);
    c->fd = (ngx_socket_t) -1;

    if (ngx_cycle->files != NULL) {
        ngx_cycle->files[0] = saved;
    }
}
