
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_MODULE_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_key.h"
#include "ngx_http_oauth2_client_jose.h"
#include "ngx_http_oauth2_client_json.h"
#include "ngx_http_oauth2_client_body.h"


#define NGX_HTTP_OAUTH2_CLIENT_ZONE_NAME     "oauth2_client"
#define NGX_HTTP_OAUTH2_CLIENT_ZONE_SIZE     (1024 * 1024)
#define NGX_HTTP_OAUTH2_CLIENT_LIFETIME      300

/* a token is dropped 10% of its lifetime early, at most this many ms */
#define NGX_HTTP_OAUTH2_CLIENT_MARGIN_MAX    60000

#define NGX_HTTP_OAUTH2_CLIENT_BEARER        "Bearer "

#define NGX_HTTP_OAUTH2_CLIENT_REFRESH_PCT   10
#define NGX_HTTP_OAUTH2_CLIENT_WAIT_TIMEOUT  10000

/* how often a request waiting on another worker's fetch looks again */
#define NGX_HTTP_OAUTH2_CLIENT_POLL          25

/* backoff after failures, ms: first delay and cap */
#define NGX_HTTP_OAUTH2_CLIENT_BACKOFF_MIN   1000
#define NGX_HTTP_OAUTH2_CLIENT_BACKOFF_MAX   60000
#define NGX_HTTP_OAUTH2_CLIENT_REFUSED_MIN   60000
#define NGX_HTTP_OAUTH2_CLIENT_REFUSED_MAX   600000
#define NGX_HTTP_OAUTH2_CLIENT_RATE_MAX      3600000


/* $oauth2_token_status, and the answers of the cache */
typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE = 0,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT,      /* a live token */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_MISS,     /* none: fetch one now */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR,    /* the fetch failed */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_REFRESH,  /* live: refresh it behind */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_STALE,    /* live, refresh due, backoff */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_WAIT,     /* none: another fetches */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_BACKOFF   /* none, and no attempt yet */
} ngx_http_oauth2_client_status_e;


/* one oauth2_client { } block */
typedef struct {
    ngx_str_t                        name;
    ngx_str_t                        token_endpoint;
    ngx_str_t                        token_location;
    ngx_str_t                        client_id;
    ngx_str_t                        private_key;
    ngx_str_t                        key_id;
    ngx_str_t                        scope;
    ngx_uint_t                       signing_alg;
    time_t                           assertion_lifetime;

    /* refresh_before: a share of the lifetime, or a time */
    ngx_uint_t                       refresh_pct;
    ngx_msec_t                       refresh_time;

    EVP_PKEY                        *pkey;

    /* NUL-terminated copies for the nginx-free JOSE code */
    char                            *c_client_id;
    char                            *c_audience;
    char                            *c_key_id;
    char                            *c_scope;

    /* the rbtree key in the zone */
    uint32_t                         hash;

    /* worker-local: the length of the last token seen, to size copies */
    size_t                           token_len;

    /* worker-local: requests of this worker waiting for a token */
    ngx_queue_t                      waiters;

    /*
     * SHA-256 over everything that shapes a token: a cached token is
     * used only by a client whose settings produced it, so a reload
     * that changes the scope or the key fetches a new one
     */
    u_char                           conf_id[32];

    u_char                          *file;
    ngx_uint_t                       line;
} ngx_http_oauth2_client_conf_t;


typedef struct {
    ngx_array_t                      clients;   /* conf_t * */
    ngx_shm_zone_t                  *shm_zone;
} ngx_http_oauth2_client_main_conf_t;


typedef struct {
    ngx_http_oauth2_client_conf_t   *client;    /* NULL: off */
    ngx_str_t                        name;      /* data NULL: unset */
    u_char                          *file;
    ngx_uint_t                       line;
    ngx_msec_t                       wait_timeout;
    ngx_flag_t                       purge;
} ngx_http_oauth2_client_loc_conf_t;


/* what the cache answers */
typedef struct {
    ngx_str_t                        value;     /* "Bearer <token>" */
    uint32_t                         generation;
    ngx_uint_t                       claim;     /* the claim taken */
    ngx_pid_t                        owner;     /* WAIT: who fetches */
    ngx_pid_t                        took_over; /* a stale claim's owner */
    ngx_msec_t                       retry;     /* BACKOFF: ms to wait */
} ngx_http_oauth2_client_lookup_t;


/*
 * One token request.  It lives in the request pool; a pool cleanup
 * wipes its buffers and gives up its claim if it never finished.
 */
typedef struct {
    ngx_shm_zone_t                  *shm_zone;
    ngx_http_oauth2_client_conf_t   *client;
    ngx_http_request_t              *subrequest;

    /* the token request body, wiped once it has been answered */
    ngx_str_t                        body;

    /* the token endpoint's response body, wiped likewise */
    ngx_buf_t                       *response;

    /* the outcome: "Bearer <token>", or the status to answer with */
    ngx_str_t                        value;
    ngx_int_t                        status;
    uint32_t                         generation;

    ngx_uint_t                       claim;
    ngx_msec_t                       sent;
    ngx_int_t                        rc;        /* the subrequest's rc */

    unsigned                         background:1;
    unsigned                         processed:1;
    unsigned                         complete:1;
    unsigned                         too_big:1;
} ngx_http_oauth2_client_fetch_t;


/*
 * Per main request.  It lives in the request pool, reachable from a pool
 * cleanup too, so that it survives the internal redirects that wipe the
 * module contexts: the header it injected can then be taken back.
 */
typedef struct {
    ngx_http_oauth2_client_conf_t   *client;
    ngx_http_request_t              *request;
    ngx_http_oauth2_client_fetch_t  *fetch;     /* the one it waits for */

    /* "Bearer <token>": the token is value.data + 7 */
    ngx_str_t                        value;
    uint32_t                         generation;

    /* where the cache copies the token to, kept while the request waits */
    ngx_str_t                        buf;

    /* the Authorization header we set, and the client's value it held */
    ngx_table_elt_t                 *header;
    ngx_str_t                        client_value;

    /* in the waiters of the client, while waiting for a fetch */
    ngx_queue_t                      queue;
    ngx_msec_t                       wait_deadline;

    ngx_int_t                        failed;    /* the status answered */

    unsigned                         token_status:3;
    unsigned                         waited:1;
    unsigned                         queued:1;
    unsigned                         injected:1;
    unsigned                         pushed:1;
} ngx_http_oauth2_client_ctx_t;


ngx_int_t ngx_http_oauth2_client_handler_init(ngx_conf_t *cf);

ngx_shm_zone_t *ngx_http_oauth2_client_cache_add_zone(ngx_conf_t *cf,
    ngx_str_t *name, ssize_t size);
ngx_uint_t ngx_http_oauth2_client_cache_acquire(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_pool_t *pool, ngx_str_t *buf,
    ngx_msec_t timeout, ngx_pid_t dead, ngx_http_oauth2_client_lookup_t *lk);
ngx_int_t ngx_http_oauth2_client_cache_store(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t claim, u_char *token,
    size_t len, ngx_msec_t expires, ngx_msec_t refresh, uint32_t *generation,
    ngx_log_t *log);
ngx_msec_t ngx_http_oauth2_client_cache_fail(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t claim,
    ngx_msec_t min, ngx_msec_t max, ngx_msec_t wait);
void ngx_http_oauth2_client_cache_release(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t claim);
ngx_int_t ngx_http_oauth2_client_cache_purge(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, uint32_t generation);


extern ngx_module_t  ngx_http_oauth2_client_module;


#endif /* _NGX_HTTP_OAUTH2_CLIENT_MODULE_H_INCLUDED_ */
