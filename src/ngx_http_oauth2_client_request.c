
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
static u_char *ngx_http_oauth2_client_request_log_error(ngx_log_t *log,
    u_char *buf, size_t len);
static void ngx_http_oauth2_client_request_wipe(ngx_http_request_t *sr);
static ngx_int_t ngx_http_oauth2_client_request_headers(
    ngx_http_oauth2_client_request_t *rq, ngx_list_t *headers,
    ngx_http_oauth2_client_token_request_t *tr);
static ngx_http_request_body_t *ngx_http_oauth2_client_request_body(
    ngx_pool_t *pool, ngx_str_t *body);
static ngx_int_t ngx_http_oauth2_client_request_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_oauth2_client_request_finished(ngx_http_request_t *r);
static ngx_int_t ngx_http_oauth2_client_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_http_core_loc_conf_t *ngx_http_oauth2_client_request_find(
    ngx_http_core_loc_conf_t *pclcf, ngx_str_t *uri, ngx_uint_t *final);
static ngx_int_t ngx_http_oauth2_client_request_find_static(
    ngx_http_location_tree_node_t *node, ngx_str_t *uri,
    ngx_http_core_loc_conf_t **found);


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

    return ngx_http_oauth2_client_request_main(rq, cscf);
}


static ngx_int_t
ngx_http_oauth2_client_request_main(ngx_http_oauth2_client_request_t *rq,
    ngx_http_core_srv_conf_t *cscf)
{
    ngx_time_t                        *tp;
    ngx_connection_t                  *c;
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

    return NGX_OK;
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
 * are wiped, the cleanups of the pool run, and the connection is given
 * back.  The pool, and rq in it, is the caller's to empty or destroy.
 */

void
ngx_http_oauth2_client_request_close(ngx_http_oauth2_client_request_t *rq,
    ngx_pool_t *pool)
{
    ngx_connection_t    *c;
    ngx_pool_cleanup_t  *pc;
    ngx_http_cleanup_t  *cln;

    c = rq->connection;

    if (rq->request != NULL) {
        cln = rq->request->cleanup;
        rq->request->cleanup = NULL;

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

    if (rq->subrequest != NULL) {
        ngx_http_oauth2_client_request_wipe(rq->subrequest);
    }

    if (rq->response != NULL) {
        ngx_explicit_memzero(rq->response->start,
                             rq->response->end - rq->response->start);
    }

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


/*
 * The headers a layer added (client_secret_basic's Authorization) are
 * credentials: their copies in the subrequest's list, and the request
 * the proxy module made of them, are wiped with the body.
 */

static void
ngx_http_oauth2_client_request_wipe(ngx_http_request_t *sr)
{
    ngx_buf_t        *b;
    ngx_uint_t        i;
    ngx_chain_t      *cl;
    ngx_table_elt_t  *h;

    h = sr->headers_in.headers.part.elts;

    /* one part: the list was made for all of them (request_headers()) */

    for (i = 2; i < sr->headers_in.headers.part.nelts; i++) {
        ngx_explicit_memzero(h[i].value.data, h[i].value.len);
    }

    if (sr->upstream == NULL) {
        return;
    }

    for (cl = sr->upstream->request_bufs; cl != NULL; cl = cl->next) {
        b = cl->buf;

        if (b->start != NULL && b->end > b->start && !b->in_file) {
            ngx_explicit_memzero(b->start, b->end - b->start);
        }
    }
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


/*
 * Once the locations are in their trees: the server the token requests
 * run in is the first of those that use the client that has a token
 * location with a content handler, or else the first of them.
 *
 * nginx -t is told when the timeouts of the token location exceed the
 * deadline: a token request ends at its deadline whatever they say.
 * Their values are read through the proxy module, found by name: its
 * location configuration starts with the upstream one.
 */

ngx_int_t
ngx_http_oauth2_client_request_check(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    ngx_uint_t                  i, final;
    ngx_msec_t                  t;
    ngx_module_t               *m;
    ngx_http_upstream_conf_t   *ucf;
    ngx_http_core_srv_conf_t  **cscfp;
    ngx_http_core_loc_conf_t   *clcf;

    cscfp = client->servers.elts;
    clcf = NULL;

    for (i = 0; i < client->servers.nelts; i++) {
        clcf = cscfp[i]->ctx->loc_conf[ngx_http_core_module.ctx_index];
        clcf = ngx_http_oauth2_client_request_find(clcf,
                                                   &client->token_location,
                                                   &final);
        if (clcf != NULL && clcf->handler != NULL) {
            client->server = cscfp[i];
            break;
        }
    }

    if (client->server == NULL) {
        client->server = (client->servers.nelts != 0) ? cscfp[0] : NULL;
        return NGX_OK;
    }

    for (i = 0; cf->cycle->modules[i]; i++) {
        m = cf->cycle->modules[i];

        if (m->type != NGX_HTTP_MODULE
            || ngx_strcmp(m->name, "ngx_http_proxy_module") != 0)
        {
            continue;
        }

        ucf = clcf->loc_conf[m->ctx_index];

        if (ngx_http_oauth2_client_auth_check_location(cf, client, ucf)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
        t = ucf->connect_timeout + ucf->read_timeout;

        if (t > client->deadline) {
            ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                          "oauth2 client \"%V\": proxy_connect_timeout "
                          "%M ms and proxy_read_timeout %M ms of token "
                          "location \"%V\" exceed %M ms, the longest "
                          "oauth2_token_wait_timeout of the client, at "
                          "which its token requests end",
                          &client->name, ucf->connect_timeout,
                          ucf->read_timeout, &client->token_location,
                          client->deadline);
        }

        break;
    }

    return NGX_OK;
}


/*
 * The location of uri among those of pclcf, as ngx_http_core_find_location()
 * finds it; final is set when it is exact or a regular expression's.
 */

static ngx_http_core_loc_conf_t *
ngx_http_oauth2_client_request_find(ngx_http_core_loc_conf_t *pclcf,
    ngx_str_t *uri, ngx_uint_t *final)
{
    ngx_int_t                  rc;
    ngx_uint_t                 noregex;
    ngx_http_core_loc_conf_t  *clcf, *nested;
#if (NGX_PCRE)
    ngx_http_core_loc_conf_t **clcfp;
#endif

    *final = 0;
    noregex = 0;
    clcf = NULL;

    rc = ngx_http_oauth2_client_request_find_static(pclcf->static_locations,
                                                    uri, &clcf);
    if (rc == NGX_OK) {
        *final = 1;
        return clcf;
    }

    if (rc == NGX_AGAIN) {
        noregex = clcf->noregex;

        nested = ngx_http_oauth2_client_request_find(clcf, uri, final);

        if (*final) {
            return nested;
        }

        if (nested != NULL) {
            clcf = nested;
        }
    }

#if (NGX_PCRE)

    if (noregex == 0 && pclcf->regex_locations) {

        for (clcfp = pclcf->regex_locations; *clcfp; clcfp++) {

            if (ngx_regex_exec((*clcfp)->regex->regex, uri, NULL, 0) < 0) {
                continue;
            }

            nested = ngx_http_oauth2_client_request_find(*clcfp, uri, final);
            *final = 1;

            return (nested != NULL) ? nested : *clcfp;
        }
    }

#endif

    return clcf;
}


/* NGX_OK: an exact match; NGX_AGAIN: a prefix; NGX_DECLINED: none */

static ngx_int_t
ngx_http_oauth2_client_request_find_static(
    ngx_http_location_tree_node_t *node, ngx_str_t *uri,
    ngx_http_core_loc_conf_t **found)
{
    u_char     *p;
    size_t      len, n;
    ngx_int_t   rc, rv;

    p = uri->data;
    len = uri->len;
    rv = NGX_DECLINED;

    while (node != NULL) {
        n = (len <= (size_t) node->len) ? len : node->len;

        rc = ngx_filename_cmp(p, node->name, n);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (len > (size_t) node->len) {

            if (node->inclusive) {
                *found = node->inclusive;
                rv = NGX_AGAIN;

                node = node->tree;
                p += n;
                len -= n;
                continue;
            }

            node = node->right;
            continue;
        }

        if (len == (size_t) node->len) {

            if (node->exact) {
                *found = node->exact;
                return NGX_OK;
            }

            *found = node->inclusive;
            return NGX_AGAIN;
        }

        node = node->left;
    }

    return rv;
}
