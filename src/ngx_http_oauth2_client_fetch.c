
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The life of a token request, the module's own object: made once the
 * zone grants a claim, by a request that found no token, one that found
 * it due for a refresh, or a worker that starts; built, sent, read,
 * stored or failed in one call to the zone, the claim given back, its
 * waiters woken, freed.  It ends in one place, once: its answer, its
 * deadline, a failure to build it, or the worker's exit.  No client's
 * request holds it, so no client that goes away cancels it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


/*
 * The pool of a token request: the fake request and its subrequest, the
 * upstream's buffers, the response.  A token request fits in two blocks.
 */
#define NGX_HTTP_OAUTH2_CLIENT_POOL_SIZE     16384

/*
 * Under AddressSanitizer no pool is kept: the next token request would
 * take over the memory of the last, and a use of it after its end would
 * go unseen.  gcc says so with __SANITIZE_ADDRESS__, clang with
 * __has_feature() only.
 */
#if defined(__SANITIZE_ADDRESS__)
#define NGX_HTTP_OAUTH2_CLIENT_ASAN          1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NGX_HTTP_OAUTH2_CLIENT_ASAN          1
#endif
#endif


static ngx_http_oauth2_client_fetch_t *ngx_http_oauth2_client_fetch_create(
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t claim,
    ngx_uint_t reason, ngx_log_t *log);
static ngx_int_t ngx_http_oauth2_client_fetch_prepare(
    ngx_http_oauth2_client_fetch_t *f);
static void ngx_http_oauth2_client_fetch_events(
    ngx_http_oauth2_client_fetch_t *f);
static ngx_int_t ngx_http_oauth2_client_fetch_build(
    ngx_http_oauth2_client_fetch_t *f,
    ngx_http_oauth2_client_token_request_t *tr);
static ngx_int_t ngx_http_oauth2_client_fetch_dpop(
    ngx_http_oauth2_client_fetch_t *f,
    ngx_http_oauth2_client_token_request_t *tr, char *err, size_t errlen);
static ngx_int_t ngx_http_oauth2_client_fetch_nonce(
    ngx_http_oauth2_client_fetch_t *f);
static void ngx_http_oauth2_client_fetch_retry(ngx_event_t *ev);
static void ngx_http_oauth2_client_fetch_keep(ngx_pool_t *pool);
static void ngx_http_oauth2_client_fetch_run(ngx_event_t *ev);
static void ngx_http_oauth2_client_fetch_answered(void *data);
static void ngx_http_oauth2_client_fetch_expire(ngx_event_t *ev);
static void ngx_http_oauth2_client_fetch_unwanted(ngx_event_t *ev);
static void ngx_http_oauth2_client_fetch_end(
    ngx_http_oauth2_client_fetch_t *f);
static void ngx_http_oauth2_client_fetch_settle(
    ngx_http_oauth2_client_fetch_t *f);
static ngx_int_t ngx_http_oauth2_client_fetch_times(
    ngx_http_oauth2_client_fetch_t *f, ngx_http_oauth2_client_outcome_t *out);
static ngx_http_oauth2_client_status_result_t *
    ngx_http_oauth2_client_fetch_status(ngx_http_oauth2_client_fetch_t *f,
    ngx_http_oauth2_client_status_result_t *sr);
static void ngx_http_oauth2_client_fetch_log(
    ngx_http_oauth2_client_fetch_t *f, ngx_http_oauth2_client_outcome_t *out,
    const char *hint);
static ngx_pool_t *ngx_http_oauth2_client_fetch_pool(ngx_log_t *log);
static void ngx_http_oauth2_client_fetch_pool_free(ngx_pool_t *pool);
static void ngx_http_oauth2_client_give_back(
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t claim, ngx_log_t *log);


static ngx_uint_t   ngx_http_oauth2_client_fetch_ids;

/* the pool the last token request of this worker left, emptied */
static ngx_pool_t  *ngx_http_oauth2_client_spare_pool;


#if (NGX_DEBUG)

/* for the debug log of the claims */

static const char  *ngx_http_oauth2_client_reasons[] = {
    "miss",
    "refresh",
    "prefetch"
};


static const char  *ngx_http_oauth2_client_classes[] = {
    "ok",
    "http_4xx",
    "http_429",
    "http_5xx",
    "timeout",
    "no_response",
    "invalid",
    "too_large",
    "internal",
    "canceled"
};

#endif


/*
 * A token request for the claim just taken (0: without a claim, for a
 * worker of an old configuration).  NULL if it could not be made: the
 * claim has been given back then, and the waiters woken.
 */

ngx_http_oauth2_client_fetch_t *
ngx_http_oauth2_client_fetch_start(ngx_http_oauth2_client_conf_t *client,
    ngx_uint_t claim, ngx_uint_t reason, ngx_log_t *log)
{
    ngx_http_oauth2_client_fetch_t  *f;

    f = ngx_http_oauth2_client_fetch_create(client, claim, reason, log);
    if (f == NULL) {
        ngx_http_oauth2_client_give_back(client, claim, log);
        return NULL;
    }

    /* a late token request of this worker: its claim is taken over */

    if (client->fetch != NULL) {
        ngx_http_oauth2_client_fetch_cancel(client->fetch);
    }

    client->fetch = f;

    if (ngx_http_oauth2_client_fetch_prepare(f) != NGX_OK) {
        f->result.class = NGX_HTTP_OAUTH2_CLIENT_INTERNAL;
        ngx_http_oauth2_client_fetch_end(f);
        return NULL;
    }

    ngx_http_oauth2_client_fetch_events(f);

#if (NGX_DEBUG)
    if (claim != 0) {
        ngx_log_debug4(NGX_LOG_DEBUG_HTTP, f->log, 0,
                       "oauth2 client \"%V\": claim %ui taken, token "
                       "request %ui (%s)", &client->name, claim, f->id,
                       ngx_http_oauth2_client_reasons[reason]);

    } else {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, f->log, 0,
                       "oauth2 client \"%V\": token request %ui of an old "
                       "configuration, without a claim", &client->name,
                       f->id);
    }
#endif

    /*
     * It is sent from a posted event, not from the handler of the request
     * that started it: it cannot end before that request waits for it.
     */

    f->sent = ngx_current_msec;

    ngx_add_timer(&f->deadline, client->deadline);
    ngx_post_event(&f->run, &ngx_posted_events);

    return f;
}


static ngx_http_oauth2_client_fetch_t *
ngx_http_oauth2_client_fetch_create(ngx_http_oauth2_client_conf_t *client,
    ngx_uint_t claim, ngx_uint_t reason, ngx_log_t *log)
{
    ngx_pool_t                      *pool;
    ngx_http_oauth2_client_fetch_t  *f;

    pool = ngx_http_oauth2_client_fetch_pool(log);
    if (pool == NULL) {
        return NULL;
    }

    f = ngx_pcalloc(pool, sizeof(ngx_http_oauth2_client_fetch_t));
    if (f == NULL) {
        ngx_http_oauth2_client_fetch_pool_free(pool);
        return NULL;
    }

    f->id = ++ngx_http_oauth2_client_fetch_ids;
    f->reason = reason;
    f->claim = claim;
    f->pool = pool;
    f->log = log;
    f->client = client;
    f->shm_zone = client->shm_zone;

    f->request.client = &client->name;
    f->request.location = &client->token_location;
    f->request.handler = ngx_http_oauth2_client_fetch_answered;
    f->request.data = f;
    f->request.release = ngx_http_oauth2_client_fetch_pool_free;

    return f;
}


/* the fake request, the two layers of the request, the subrequest */

static ngx_int_t
ngx_http_oauth2_client_fetch_prepare(ngx_http_oauth2_client_fetch_t *f)
{
    ngx_int_t                                rc;
    ngx_http_oauth2_client_token_request_t   tr;

    if (ngx_http_oauth2_client_request_create(&f->request, f->pool,
                                              f->client->server)
        != NGX_OK)
    {
        ngx_cpystrn(f->result.msg, (u_char *) "could not create the token "
                    "subrequest", sizeof(f->result.msg));
        return NGX_ERROR;
    }

    /*
     * The token request logs to a log of its own from now on; its action
     * says what the module does, until nginx's upstream says what it does.
     */

    f->log = f->request.connection->log;
    f->log->action = "building the token request";

    ngx_http_oauth2_client_token_request_init(&tr);

    rc = ngx_http_oauth2_client_fetch_build(f, &tr);

    if (rc == NGX_OK) {
        rc = ngx_http_oauth2_client_request_send(&f->request, &tr);

        if (rc != NGX_OK) {
            ngx_cpystrn(f->result.msg, (u_char *) "could not create the "
                        "token subrequest", sizeof(f->result.msg));
        }
    }

    ngx_http_oauth2_client_token_request_free(&tr);

    return rc;
}


/* the module's timers are cancelable: a shutdown does not wait on them */

static void
ngx_http_oauth2_client_fetch_events(ngx_http_oauth2_client_fetch_t *f)
{
    f->run.handler = ngx_http_oauth2_client_fetch_run;
    f->run.data = f;
    f->run.log = f->log;

    f->deadline.handler = ngx_http_oauth2_client_fetch_expire;
    f->deadline.data = f;
    f->deadline.log = f->log;
    f->deadline.cancelable = 1;

    f->unwanted.handler = ngx_http_oauth2_client_fetch_unwanted;
    f->unwanted.data = f;
    f->unwanted.log = f->log;
}


/*
 * The two layers of the request: the grant and its parameters, then the
 * credentials of the client.
 */

static ngx_int_t
ngx_http_oauth2_client_fetch_build(ngx_http_oauth2_client_fetch_t *f,
    ngx_http_oauth2_client_token_request_t *tr)
{
    char                            err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char                         *last;
    ngx_http_oauth2_client_conf_t  *client;

    client = f->client;
    last = f->result.msg + sizeof(f->result.msg) - 1;

    if (ngx_http_oauth2_client_token_request_grant(tr, client->c_scope, err,
                                                   sizeof(err))
        != 0)
    {
        *ngx_slprintf(f->result.msg, last, "could not build the token "
                      "request: %s", err) = '\0';
        return NGX_ERROR;
    }

    /* the extra parameters and the credentials: auth.c's */

    if (ngx_http_oauth2_client_auth_build(client, tr, f->result.msg,
                                          sizeof(f->result.msg))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the DPoP proof goes with any client authentication */

    if (client->dpop
        && ngx_http_oauth2_client_fetch_dpop(f, tr, err, sizeof(err))
           != NGX_OK)
    {
        ngx_snprintf(f->result.msg, sizeof(f->result.msg),
                     "could not sign the DPoP proof: %s%Z", err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The DPoP proof of the token request (RFC 9449 4): htm POST, htu the
 * token endpoint, the nonce the server asked for, if any: the one of this
 * retry, or the one in the zone, which every worker shares.
 */

static ngx_int_t
ngx_http_oauth2_client_fetch_dpop(ngx_http_oauth2_client_fetch_t *f,
    ngx_http_oauth2_client_token_request_t *tr, char *err, size_t errlen)
{
    u_char                                *proof;
    size_t                                 size, len;
    ngx_http_oauth2_client_conf_t         *client;
    ngx_http_oauth2_client_dpop_claims_t   claims;
    u_char                                 nonce[
                                           NGX_HTTP_OAUTH2_CLIENT_ZONE_NONCE];

    client = f->client;

    ngx_memzero(&claims, sizeof(ngx_http_oauth2_client_dpop_claims_t));

    claims.htm = (u_char *) "POST";
    claims.htm_len = sizeof("POST") - 1;
    claims.htu = client->token_endpoint.data;
    claims.htu_len = client->htu_len;
    claims.iat = ngx_time();

    if (f->nonce.len) {
        claims.nonce = f->nonce.data;
        claims.nonce_len = f->nonce.len;

    } else {
        len = ngx_http_oauth2_client_cache_nonce_get(f->shm_zone, client,
                                          NGX_HTTP_OAUTH2_CLIENT_NONCE_TOKEN,
                                          nonce);
        if (len) {
            claims.nonce = nonce;
            claims.nonce_len = len;
        }
    }

    size = ngx_http_oauth2_client_dpop_proof_size(&client->dpop_ctx, &claims);
    if (size == 0) {
        ngx_cpystrn((u_char *) err, (u_char *) "the claims make no proof",
                    errlen);
        return NGX_ERROR;
    }

    if (tr->nheaders >= NGX_HTTP_OAUTH2_CLIENT_HEADERS_MAX) {
        ngx_cpystrn((u_char *) err, (u_char *) "too many headers", errlen);
        return NGX_ERROR;
    }

    proof = malloc(size);
    if (proof == NULL) {
        ngx_cpystrn((u_char *) err, (u_char *) "no memory", errlen);
        return NGX_ERROR;
    }

    if (ngx_http_oauth2_client_dpop_proof(&client->dpop_ctx, &claims, proof,
                                          size, &len, err, errlen)
        != 0)
    {
        free(proof);
        return NGX_ERROR;
    }

    tr->headers[tr->nheaders].name = "DPoP";
    tr->headers[tr->nheaders].value = (char *) proof;
    tr->nheaders++;

    return NGX_OK;
}


static void
ngx_http_oauth2_client_fetch_run(ngx_event_t *ev)
{
    ngx_http_oauth2_client_fetch_t  *f = ev->data;

    /* a worker that shuts down sends no token request nobody waits for */

    if (ngx_exiting && ngx_queue_empty(&f->client->waiters)) {
        ngx_http_oauth2_client_fetch_cancel(f);
        return;
    }

    ngx_http_oauth2_client_request_run(&f->request);
}


/* the subrequest ended, however: what did the token endpoint answer */

static void
ngx_http_oauth2_client_fetch_answered(void *data)
{
    ngx_http_oauth2_client_fetch_t  *f = data;

    /*
     * The lines from here on (the new token, the failure and its backoff,
     * the zone's) say what the module does, not what the upstream did
     * last ("sending to client").
     */

    f->log->action = "processing the token response";

    f->result.dpop = f->client->dpop ? 1 : 0;

    ngx_http_oauth2_client_response_read(&f->request, f->pool, &f->result);

    if (ngx_http_oauth2_client_fetch_nonce(f) == NGX_OK) {
        return;
    }

    ngx_http_oauth2_client_fetch_end(f);
}


/*
 * 400 use_dpop_nonce with a DPoP-Nonce (RFC 9449 8): the same token
 * request again at once, with that nonce, a new proof and a new
 * assertion (Okta spends the jti of the refused one), once.  NGX_OK: the
 * retry is on its way.
 */

static ngx_int_t
ngx_http_oauth2_client_fetch_nonce(ngx_http_oauth2_client_fetch_t *f)
{
    ngx_http_oauth2_client_result_t         *res;
    ngx_http_oauth2_client_status_result_t  *st, sr;

    res = &f->result;

    if (!f->client->dpop
        || res->class != NGX_HTTP_OAUTH2_CLIENT_HTTP_4XX
        || res->status != NGX_HTTP_BAD_REQUEST
        || ngx_strcmp(res->error, "use_dpop_nonce") != 0)
    {
        return NGX_DECLINED;
    }

    /*
     * A fake request that an aio thread still works for is freed later,
     * by request.c: no new one can take its place now.
     */

    if (f->request.request != NULL && f->request.request->blocked) {
        return NGX_DECLINED;
    }

    if (f->retried || res->nonce.len == 0) {
        res->nonce_twice = f->retried;

        *ngx_slprintf(res->msg + ngx_strlen(res->msg),
                      res->msg + sizeof(res->msg) - 1,
                      f->retried ? " (the DPoP nonce was refused twice in "
                                   "a row)"
                                 : " (without a DPoP-Nonce header)")
            = '\0';

        return NGX_DECLINED;
    }

    f->retried = 1;
    f->nonce = res->nonce;

    ngx_log_error(NGX_LOG_INFO, f->log, 0,
                  "oauth2 client \"%V\": the token endpoint asks for a "
                  "DPoP nonce, retrying with it", &f->client->name);

    /* the nonce is shared at once: other workers' proofs carry it too */

    if (f->claim != 0) {
        ngx_http_oauth2_client_cache_nonce_set(f->shm_zone, f->client,
                                          NGX_HTTP_OAUTH2_CLIENT_NONCE_TOKEN,
                                          &f->nonce);
    }

    /*
     * The refused exchange is one the server received: the status counts
     * it as a token request of its own (docs/status.md), the retry as
     * another.
     */

    st = ngx_http_oauth2_client_fetch_status(f, &sr);

    if (st != NULL) {
        ngx_http_oauth2_client_cache_record(f->shm_zone, f->client, st);
    }

    /*
     * Not from here, inside the posted requests of the fake connection:
     * its end and a new one (maybe in the same slot) come from an event.
     */

    f->run.handler = ngx_http_oauth2_client_fetch_retry;
    ngx_post_event(&f->run, &ngx_posted_events);

    return NGX_OK;
}


/*
 * The fake request of the refused attempt is closed, its pool kept (not
 * released: f is in it), and a new one made in it, sent at once; the
 * claim, the deadline and the waiters stay the token request's.
 */

static void
ngx_http_oauth2_client_fetch_retry(ngx_event_t *ev)
{
    ngx_http_oauth2_client_fetch_t  *f = ev->data;

    ngx_http_oauth2_client_request_t  rq;

    f->request.release = ngx_http_oauth2_client_fetch_keep;

    ngx_http_oauth2_client_request_close(&f->request, f->pool);

    rq = f->request;
    ngx_memzero(&f->request, sizeof(ngx_http_oauth2_client_request_t));
    f->request.client = rq.client;
    f->request.location = rq.location;
    f->request.handler = rq.handler;
    f->request.data = rq.data;
    f->request.release = ngx_http_oauth2_client_fetch_pool_free;

    ngx_memzero(&f->result, sizeof(ngx_http_oauth2_client_result_t));

    if (ngx_http_oauth2_client_fetch_prepare(f) != NGX_OK) {
        f->result.class = NGX_HTTP_OAUTH2_CLIENT_INTERNAL;
        ngx_http_oauth2_client_fetch_end(f);
        return;
    }

    f->run.handler = ngx_http_oauth2_client_fetch_run;
    f->run.log = f->log;
    f->deadline.log = f->log;
    f->unwanted.log = f->log;

    /* the retry's latency is its own */

    f->sent = ngx_current_msec;

    ngx_http_oauth2_client_fetch_run(&f->run);
}


/* the release of a refused attempt's fake request: the pool goes on */

static void
ngx_http_oauth2_client_fetch_keep(ngx_pool_t *pool)
{
}


/*
 * The module's own deadline: an upstream read timeout restarts with
 * every read, so an endpoint that trickles its answer is never timed out
 * by nginx.  The claim outlives the deadline, so that a live owner ends
 * its token request before anyone may take it over.
 */

static void
ngx_http_oauth2_client_fetch_expire(ngx_event_t *ev)
{
    u_char                          *last;
    ngx_uint_t                       status;
    ngx_http_request_t              *sr;
    ngx_http_oauth2_client_fetch_t  *f;

    f = ev->data;
    sr = f->request.subrequest;
    last = f->result.msg + sizeof(f->result.msg) - 1;

    f->log->action = "ending the token request at its deadline";

    status = (sr != NULL && sr->upstream != NULL)
             ? sr->upstream->headers_in.status_n : 0;

    f->result.class = NGX_HTTP_OAUTH2_CLIENT_TIMEOUT;
    f->result.status = status;

    if (status != 0) {
        *ngx_slprintf(f->result.msg, last, "token endpoint response "
                      "(HTTP %ui) is incomplete after %M ms, the deadline "
                      "of the token request", status, f->client->deadline)
            = '\0';

    } else {
        *ngx_slprintf(f->result.msg, last, "no response from the token "
                      "endpoint through \"%V\" within %M ms, the deadline "
                      "of the token request", &f->client->token_location,
                      f->client->deadline)
            = '\0';
    }

    ngx_http_oauth2_client_fetch_end(f);
}


static void
ngx_http_oauth2_client_fetch_unwanted(ngx_event_t *ev)
{
    ngx_http_oauth2_client_fetch_t  *f = ev->data;

    if (ngx_exiting && ngx_queue_empty(&f->client->waiters)) {
        ngx_http_oauth2_client_fetch_cancel(f);
    }
}


/* the end of a token request the worker does not want any more */

void
ngx_http_oauth2_client_fetch_cancel(ngx_http_oauth2_client_fetch_t *f)
{
    f->log->action = "canceling the token request";
    f->result.class = NGX_HTTP_OAUTH2_CLIENT_CANCELED;

    ngx_cpystrn(f->result.msg, (u_char *) "token request canceled: the "
                "worker process is exiting", sizeof(f->result.msg));

    ngx_http_oauth2_client_fetch_end(f);
}


/*
 * The one end of every token request: the zone told (token stored, or
 * backoff set, and the claim given back), the waiters woken, everything
 * freed, f with it.
 */

static void
ngx_http_oauth2_client_fetch_end(ngx_http_oauth2_client_fetch_t *f)
{
    if (f->ended) {
        return;
    }

    f->ended = 1;

    if (f->deadline.timer_set) {
        ngx_del_timer(&f->deadline);
    }

    if (f->run.posted) {
        ngx_delete_posted_event(&f->run);
    }

    if (f->unwanted.posted) {
        ngx_delete_posted_event(&f->unwanted);
    }

    if (f->client->fetch == f) {
        f->client->fetch = NULL;
    }

    ngx_http_oauth2_client_fetch_settle(f);

    ngx_http_oauth2_client_wake(f->client, f);

    /* the waiters have their copies: none stays in a pool that is kept */

    if (f->result.value.len) {
        ngx_explicit_memzero(f->result.value.data, f->result.value.len);
    }

    /* the pool, f in it, goes back to fetch_pool_free(), now or later */

    ngx_http_oauth2_client_request_close(&f->request, f->pool);
}


static void
ngx_http_oauth2_client_fetch_settle(ngx_http_oauth2_client_fetch_t *f)
{
    const char                              *hint;
    ngx_http_oauth2_client_result_t         *res;
    ngx_http_oauth2_client_outcome_t         out;
    ngx_http_oauth2_client_status_result_t   sr;

    res = &f->result;
    hint = "";

    ngx_memzero(&out, sizeof(ngx_http_oauth2_client_outcome_t));
    out.claim = f->claim;
    out.nonce = res->nonce;

    if (res->class == NGX_HTTP_OAUTH2_CLIENT_OK
        && ngx_http_oauth2_client_fetch_times(f, &out) == NGX_OK)
    {
        out.token = res->token;
        out.dpop = res->dpop_token;

        if (f->client->dpop && !res->dpop_token
            && !f->client->dpop_bearer_logged)
        {
            f->client->dpop_bearer_logged = 1;
            ngx_log_error(NGX_LOG_WARN, f->log, 0,
                          "oauth2 client \"%V\": the token endpoint "
                          "answered a DPoP token request with a Bearer "
                          "token; it is used as Bearer", &f->client->name);
        }

        ngx_http_oauth2_client_token_fingerprint(out.token.data,
                                                 out.token.len,
                                                 out.fingerprint);

        ngx_log_error(NGX_LOG_INFO, f->log, 0,
                      "oauth2 client \"%V\": new token sha256:%s, expires "
                      "in %L s%s", &f->client->name, out.fingerprint,
                      res->expires_in, res->capped ? " (capped)" : "");

    } else {
        ngx_http_oauth2_client_backoff(res, &out, &hint);
        hint = ngx_http_oauth2_client_auth_hint(f->client, res, hint);
    }

    out.status = ngx_http_oauth2_client_fetch_status(f, &sr);

    /*
     * A token request without a claim is of a configuration a reload
     * replaced: the zone is not its own any more, but for the status:
     * the worker keeps its token, or its backoff, itself.
     */

    if (f->claim != 0) {
        ngx_http_oauth2_client_cache_end(f->shm_zone, f->client, &out,
                                         f->log);

    } else {
        ngx_http_oauth2_client_cache_retired_end(f->client, &out, f->log);

        if (out.status != NULL) {
            ngx_http_oauth2_client_cache_record(f->shm_zone, f->client,
                                                out.status);
        }
    }

    f->generation = out.generation;
    f->expires = out.expires;

    ngx_http_oauth2_client_fetch_log(f, &out, hint);
}


/*
 * The lifetime counts from when the request was sent, not from when the
 * answer came, and the token leaves the cache a margin before it ends,
 * so that a request never carries a token that dies on its way: 10% of
 * the lifetime, at most a minute.  ngx_current_msec is the monotonic
 * clock, the same in every worker.  The refresh starts refresh_before
 * ahead of that end, plus up to a quarter more, drawn anew for every
 * token, so that a fleet of nginx nodes does not refresh in step.
 */

static ngx_int_t
ngx_http_oauth2_client_fetch_times(ngx_http_oauth2_client_fetch_t *f,
    ngx_http_oauth2_client_outcome_t *out)
{
    ngx_msec_t                        lifetime, margin, end, window;
    ngx_http_oauth2_client_conf_t    *client;
    ngx_http_oauth2_client_result_t  *res;

    client = f->client;
    res = &f->result;

    lifetime = (ngx_msec_t) res->expires_in * 1000;
    margin = ngx_min(lifetime / 10, NGX_HTTP_OAUTH2_CLIENT_MARGIN_MAX);
    end = f->sent + lifetime - margin;

    /* a token already at its end of use when it comes is never used */

    if ((ngx_msec_int_t) (end - ngx_current_msec) <= 0) {
        res->class = NGX_HTTP_OAUTH2_CLIENT_INVALID;
        ngx_str_null(&res->value);

        *ngx_slprintf(res->msg, res->msg + sizeof(res->msg) - 1,
                      "token request failed: the token (expires_in %L s) "
                      "ends before its answer came, %M ms after the "
                      "request", res->expires_in, ngx_current_msec - f->sent)
            = '\0';
        return NGX_DECLINED;
    }

    window = client->refresh_pct ? lifetime / 100 * client->refresh_pct
                                   + lifetime % 100 * client->refresh_pct
                                     / 100
                                 : client->refresh_time;

    window += (ngx_msec_t) ngx_random() % (window / 4 + 1);

    out->expires = end;
    out->refresh = end - window;

    if ((ngx_msec_int_t) (out->refresh - f->sent) < 0) {
        out->refresh = f->sent;
    }

    return NGX_OK;
}


/*
 * The exchange as the status counts it: its class, HTTP status, OAuth
 * 2.0 error (or Okta's errorCode and errorSummary), its latency from
 * when it was sent.  A token request the worker's exit canceled is not
 * counted: it was never answered, and may never have been sent.
 */

static ngx_http_oauth2_client_status_result_t *
ngx_http_oauth2_client_fetch_status(ngx_http_oauth2_client_fetch_t *f,
    ngx_http_oauth2_client_status_result_t *sr)
{
    ngx_http_oauth2_client_result_t  *res;

    static const uint32_t  classes[] = {
        NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_429,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_5XX,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TIMEOUT,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_CONNECT,      /* no response */
        NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INVALID,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TOO_LARGE,
        NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INTERNAL
    };

    res = &f->result;

    if (res->class >= sizeof(classes) / sizeof(classes[0])) {
        return NULL;    /* NGX_HTTP_OAUTH2_CLIENT_CANCELED */
    }

    sr->class = classes[res->class];
    sr->status = (uint32_t) res->status;
    sr->now = ngx_time();

    /* a token request that failed to be built was never sent */

    sr->latency_ms = (f->sent != 0) ? ngx_current_msec - f->sent : 0;

    if (res->error[0] != '\0' || res->description[0] != '\0') {
        sr->error = res->error;
        sr->description = res->description;

    } else {
        sr->error = res->error_code;
        sr->description = res->error_summary;
    }

    return sr;
}


/* one line for every token request that does not bring a token */

static void
ngx_http_oauth2_client_fetch_log(ngx_http_oauth2_client_fetch_t *f,
    ngx_http_oauth2_client_outcome_t *out, const char *hint)
{
    ngx_uint_t  class;

    class = f->result.class;

#if (NGX_DEBUG)
    if (f->claim != 0) {
        ngx_log_debug4(NGX_LOG_DEBUG_HTTP, f->log, 0,
                       "oauth2 client \"%V\": claim %ui given back%s (%s)",
                       &f->client->name, f->claim,
                       out->taken_over ? ", it had been taken over" : "",
                       ngx_http_oauth2_client_classes[class]);
    }
#endif

    switch (class) {

    case NGX_HTTP_OAUTH2_CLIENT_OK:
        return;

    case NGX_HTTP_OAUTH2_CLIENT_CANCELED:
        ngx_log_error(NGX_LOG_INFO, f->log, 0, "oauth2 client \"%V\": %s",
                      &f->client->name, f->result.msg);
        return;

    case NGX_HTTP_OAUTH2_CLIENT_INTERNAL:
        ngx_log_error(NGX_LOG_ERR, f->log, 0, "oauth2 client \"%V\": %s",
                      &f->client->name, f->result.msg);
        return;

    default:
        break;
    }

    if (f->claim == 0) {
        ngx_log_error(NGX_LOG_ERR, f->log, 0, "oauth2 client \"%V\": %s",
                      &f->client->name, f->result.msg);
        return;
    }

    if (out->taken_over) {
        ngx_log_error(NGX_LOG_ERR, f->log, 0,
                      "oauth2 client \"%V\": %s; another token request "
                      "had taken over", &f->client->name, f->result.msg);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, f->log, 0,
                  "oauth2 client \"%V\": %s; next attempt in %M.%03M s%s",
                  &f->client->name, f->result.msg, out->delay / 1000,
                  out->delay % 1000, hint);
}


/*
 * Token requests come one at a time, most of the time: the pool of the
 * last one is kept, emptied, for the next.  Its blocks stay where they
 * were made, the first time, with nothing given back to malloc() and
 * taken again at every refresh, among the allocations of the requests;
 * a worker that starts does not leave the memory of its prefetch free
 * under its first connections.
 */

static ngx_pool_t *
ngx_http_oauth2_client_fetch_pool(ngx_log_t *log)
{
    ngx_pool_t  *pool;

    pool = ngx_http_oauth2_client_spare_pool;

    if (pool != NULL) {
        ngx_http_oauth2_client_spare_pool = NULL;

        /*
         * The log it was made with may be gone: with master_process off,
         * a reload frees the old cycle's, the one a pool kept from then
         * still points to.
         */

        pool->log = ngx_cycle->log;

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                       "oauth2 client: token request pool reused");
        return pool;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                   "oauth2 client: token request pool created");

    pool = ngx_create_pool(NGX_HTTP_OAUTH2_CLIENT_POOL_SIZE, ngx_cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    /*
     * nginx serves no more than a page from the blocks of a pool and
     * takes anything larger from malloc(), given back when the pool is
     * emptied: the upstream's buffer (proxy_buffer_size, a page by
     * default) would be.  Here, all that fits in a block comes from the
     * blocks, which a block's size minus the pool's header guarantees.
     */

    pool->max = NGX_HTTP_OAUTH2_CLIENT_POOL_SIZE - sizeof(ngx_pool_t);

    return pool;
}


/*
 * What the token request left in its pool goes: the assertion, the
 * headers (a client secret, a DPoP proof), the upstream's buffers with
 * the raw response, the token.  Allocations larger than a block (the
 * upstream's buffers when proxy_buffer_size or proxy_buffers exceed it,
 * the captured response when subrequest_output_buffer_size does) are
 * wiped whole before they are freed (where malloc_usable_size() says
 * how large: Linux), and every block from its first byte of data to its
 * end: d.last is no bound, ngx_array_destroy() moves it back over what
 * the array held.
 */

static void
ngx_http_oauth2_client_fetch_pool_free(ngx_pool_t *pool)
{
    u_char              *start;
    ngx_pool_t          *p;
    ngx_pool_large_t    *l;
    ngx_pool_cleanup_t  *c;

    /*
     * request_free() ran the pool's cleanups; any left (a pool given
     * back by another path) run here, as ngx_destroy_pool() would run
     * them: ngx_reset_pool() does not, and their list is in the blocks
     * wiped below.
     */

    for (c = pool->cleanup; c != NULL; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    pool->cleanup = NULL;

    /* the list of large allocations is in the blocks: it goes first */

    for (l = pool->large; l != NULL; l = l->next) {
        if (l->alloc) {
#if (NGX_LINUX)
            ngx_explicit_memzero(l->alloc, malloc_usable_size(l->alloc));
#endif
            ngx_free(l->alloc);
        }
    }

    pool->large = NULL;

    for (p = pool; p != NULL; p = p->d.next) {
        start = (u_char *) p + ((p == pool) ? sizeof(ngx_pool_t)
                                            : sizeof(ngx_pool_data_t));

        if (p->d.end > start) {
            ngx_explicit_memzero(start, p->d.end - start);
        }
    }

#if (NGX_HTTP_OAUTH2_CLIENT_ASAN)

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "oauth2 client: token request pool not kept (ASan)");

#else

    if (ngx_http_oauth2_client_spare_pool == NULL && !ngx_exiting) {
        ngx_reset_pool(pool);
        ngx_http_oauth2_client_spare_pool = pool;
        return;
    }

#endif

    ngx_destroy_pool(pool);
}


/* a claim that got no token request at all: no memory for one */

static void
ngx_http_oauth2_client_give_back(ngx_http_oauth2_client_conf_t *client,
    ngx_uint_t claim, ngx_log_t *log)
{
    ngx_http_oauth2_client_fetch_t           f;
    ngx_http_oauth2_client_outcome_t         out;
    ngx_http_oauth2_client_status_result_t   sr;

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "oauth2 client \"%V\": no memory for a token request",
                  &client->name);

    ngx_memzero(&f, sizeof(ngx_http_oauth2_client_fetch_t));
    f.result.class = NGX_HTTP_OAUTH2_CLIENT_INTERNAL;

    ngx_memzero(&out, sizeof(ngx_http_oauth2_client_outcome_t));
    out.claim = claim;
    out.status = ngx_http_oauth2_client_fetch_status(&f, &sr);

    if (claim != 0) {
        ngx_http_oauth2_client_cache_end(client->shm_zone, client, &out,
                                         log);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "oauth2 client \"%V\": claim %ui given back (internal)",
                   &client->name, claim);

    ngx_http_oauth2_client_wake(client, &f);
}


/* the worker exits: the pool it keeps goes */

void
ngx_http_oauth2_client_fetch_exit(void)
{
    if (ngx_http_oauth2_client_spare_pool != NULL) {
        ngx_destroy_pool(ngx_http_oauth2_client_spare_pool);
        ngx_http_oauth2_client_spare_pool = NULL;
    }
}
