
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * What the nginx files of the module share.  docs/architecture.md says
 * which file owns what.
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
#include "ngx_http_oauth2_client_dpop.h"
#include "ngx_http_oauth2_client_status.h"
#include "ngx_http_oauth2_client_creds.h"
#include "ngx_http_oauth2_client_jwt.h"
#include "ngx_http_oauth2_client_cert.h"


/* config defines it from CHANGES */
#ifndef NGX_HTTP_OAUTH2_CLIENT_VERSION
#define NGX_HTTP_OAUTH2_CLIENT_VERSION       "unknown"
#endif

#define NGX_HTTP_OAUTH2_CLIENT_ZONE_NAME     "oauth2_client"
#define NGX_HTTP_OAUTH2_CLIENT_ZONE_SIZE     (1024 * 1024)
#define NGX_HTTP_OAUTH2_CLIENT_LIFETIME      300

/* a token is dropped 10% of its lifetime early, at most this many ms */
#define NGX_HTTP_OAUTH2_CLIENT_MARGIN_MAX    60000

#define NGX_HTTP_OAUTH2_CLIENT_BEARER        "Bearer "
#define NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN    (sizeof("Bearer ") - 1)

/* "DPoP " is shorter: room for "Bearer " is room for either scheme */
#define NGX_HTTP_OAUTH2_CLIENT_DPOP          "DPoP "
#define NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN      (sizeof("DPoP ") - 1)

/*
 * the longest DPoP-Nonce the zone keeps, per client and server kind: any
 * the module takes, in a slab chunk of its length
 */
#define NGX_HTTP_OAUTH2_CLIENT_ZONE_NONCE    NGX_HTTP_OAUTH2_CLIENT_NONCE_MAX

/* whose DPoP nonce: the token endpoint's, the resource servers' */
#define NGX_HTTP_OAUTH2_CLIENT_NONCE_TOKEN   0
#define NGX_HTTP_OAUTH2_CLIENT_NONCE_API     1

#define NGX_HTTP_OAUTH2_CLIENT_REFRESH_PCT   10
#define NGX_HTTP_OAUTH2_CLIENT_WAIT_TIMEOUT  10000

/* how often a request waiting on another worker's token request looks */
#define NGX_HTTP_OAUTH2_CLIENT_POLL          25

/* a claim outlives its token request's deadline by this many ms */
#define NGX_HTTP_OAUTH2_CLIENT_CLAIM_MARGIN  1000

/* backoff after failures, ms: first delay and cap */
#define NGX_HTTP_OAUTH2_CLIENT_BACKOFF_MIN   1000
#define NGX_HTTP_OAUTH2_CLIENT_BACKOFF_MAX   60000
#define NGX_HTTP_OAUTH2_CLIENT_REFUSED_MIN   60000
#define NGX_HTTP_OAUTH2_CLIENT_REFUSED_MAX   600000
#define NGX_HTTP_OAUTH2_CLIENT_RATE_MIN      1000
#define NGX_HTTP_OAUTH2_CLIENT_RATE_MAX      3600000

#define NGX_HTTP_OAUTH2_CLIENT_MSGLEN        (NGX_HTTP_OAUTH2_CLIENT_ERRLEN   \
                                              + 256)


typedef struct ngx_http_oauth2_client_fetch_s  ngx_http_oauth2_client_fetch_t;


/* $oauth2_token_status */
typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE = 0,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_MISS,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_REFRESH,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_STALE,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_WAIT,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_BACKOFF,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_DPOP
} ngx_http_oauth2_client_status_e;

#define NGX_HTTP_OAUTH2_CLIENT_TOKEN_STATUS_N  9


/* what the cache answers a lookup */
typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_CACHE_ERROR = 0,  /* no memory */
    NGX_HTTP_OAUTH2_CLIENT_CACHE_HIT,        /* a live token */
    NGX_HTTP_OAUTH2_CLIENT_CACHE_REFRESH,    /* live, claimed: refresh it */
    NGX_HTTP_OAUTH2_CLIENT_CACHE_STALE,      /* live, refresh due, backoff */
    NGX_HTTP_OAUTH2_CLIENT_CACHE_MISS,       /* none, claimed: fetch one */
    NGX_HTTP_OAUTH2_CLIENT_CACHE_BUSY,       /* none, another fetches */
    NGX_HTTP_OAUTH2_CLIENT_CACHE_BACKOFF,    /* none, and no attempt yet */
    NGX_HTTP_OAUTH2_CLIENT_CACHE_RETIRED     /* a newer configuration's */
} ngx_http_oauth2_client_cache_e;


/* why a token request is made */
typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_FETCH_MISS = 0,   /* a request found no token */
    NGX_HTTP_OAUTH2_CLIENT_FETCH_REFRESH,    /* in the refresh window */
    NGX_HTTP_OAUTH2_CLIENT_FETCH_PREFETCH    /* at worker start */
} ngx_http_oauth2_client_reason_e;


/* how a token request ended: read by the backoff, the log, the status */
typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_OK = 0,
    NGX_HTTP_OAUTH2_CLIENT_HTTP_4XX,         /* a 4xx status but 429 */
    NGX_HTTP_OAUTH2_CLIENT_HTTP_429,
    NGX_HTTP_OAUTH2_CLIENT_HTTP_5XX,
    NGX_HTTP_OAUTH2_CLIENT_TIMEOUT,          /* nginx's, or the deadline */
    NGX_HTTP_OAUTH2_CLIENT_NO_RESPONSE,      /* connection, DNS, TLS */
    NGX_HTTP_OAUTH2_CLIENT_INVALID,          /* an answer but no token */
    NGX_HTTP_OAUTH2_CLIENT_TOO_LARGE,
    NGX_HTTP_OAUTH2_CLIENT_INTERNAL,         /* ours: memory, signing */
    NGX_HTTP_OAUTH2_CLIENT_CANCELED          /* the worker exits */
} ngx_http_oauth2_client_class_e;


/*
 * How a client authenticates (auth.c): the method, the secret, the
 * certificate of its assertions, the extra parameters of its requests.
 * Zeroed by the block's ngx_pcalloc(): every field starts unset.
 */
typedef struct {
    ngx_uint_t                       method;     /* auth_e; 0: unset */
    ngx_int_t                        hmac;       /* hmac_e; 0: unset */

    /* the secret, in memory of its own, wiped when the cycle goes */
    ngx_str_t                        secret;
    ngx_str_t                        secret_file;
    unsigned                         secret_inline:1;

    /* certificate FILE [x5t]: its thumbprints, NUL-terminated */
    ngx_str_t                        certificate;
    ngx_flag_t                       x5t;
    char                             c_x5t[
                                         NGX_HTTP_OAUTH2_CLIENT_X5T_LEN + 1];
    char                             c_x5t_s256[
                                    NGX_HTTP_OAUTH2_CLIENT_X5T_S256_LEN + 1];

    /* token_param NAME VALUE: ngx_keyval_t, NUL-terminated, in order */
    ngx_array_t                     *params;
} ngx_http_oauth2_client_auth_conf_t;


/*
 * Worker-local, in a worker of a configuration that a reload replaced:
 * the zone's entry is the new configuration's, so its token requests
 * store their token, or their backoff, here, for this worker's requests
 * only.
 */
typedef struct {
    u_char                          *token;     /* "Bearer|DPoP <token>" */
    size_t                           len;
    size_t                           cap;
    ngx_msec_t                       expires;
    ngx_msec_t                       backoff;
    ngx_uint_t                       failures;
} ngx_http_oauth2_client_retired_t;


/* one oauth2_client { } block */
typedef struct {
    ngx_str_t                        name;
    ngx_str_t                        token_endpoint;
    ngx_str_t                        token_location;
    ngx_str_t                        client_id;
    ngx_str_t                        private_key;
    ngx_str_t                        private_key_passphrase_file;
    ngx_str_t                        key_id;
    ngx_str_t                        scope;
    ngx_uint_t                       signing_alg;
    time_t                           assertion_lifetime;
    ngx_flag_t                       prefetch;

    /* DPoP (RFC 9449): the proof key, from dpop_key or generated */
    ngx_flag_t                       dpop;
    ngx_str_t                        dpop_key;
    ngx_http_oauth2_client_dpop_t    dpop_ctx;
    size_t                           htu_len;    /* of token_endpoint */
    size_t                           origin_len; /* its scheme://host:port */

    /*
     * worker-local: a Bearer answer to DPoP said once; the last ath; the
     * resource servers' nonce as this worker last saw it
     */
    ngx_uint_t                       dpop_bearer_logged;
    uint32_t                         ath_generation;
    char                             ath[NGX_HTTP_OAUTH2_CLIENT_ATH_LEN + 1];
    size_t                           api_nonce_len;
    u_char                           api_nonce[
                                         NGX_HTTP_OAUTH2_CLIENT_ZONE_NONCE];

    /* refresh_before: a share of the lifetime, or a time */
    ngx_uint_t                       refresh_pct;
    ngx_msec_t                       refresh_time;

    EVP_PKEY                        *pkey;        /* NULL: no key */

    ngx_http_oauth2_client_auth_conf_t  auth;

    /* NUL-terminated copies for the nginx-free code */
    char                            *c_client_id;
    char                            *c_audience;
    char                            *c_key_id;
    char                            *c_scope;

    /* the rbtree key in the zone */
    uint32_t                         hash;

    /*
     * Set by the locations that use the client: the deadline of its
     * token requests, the longest oauth2_token_wait_timeout among them,
     * and the servers they are in (ngx_http_core_srv_conf_t *).  The
     * token requests run in the configuration of the first server that
     * has the token location; NULL: no location uses the client.
     */
    ngx_msec_t                       deadline;
    ngx_array_t                      servers;
    ngx_http_core_srv_conf_t        *server;

    ngx_shm_zone_t                  *shm_zone;

    /* worker-local: the length of the last token seen, to size copies */
    size_t                           token_len;

    /*
     * worker-local: requests waiting for a token, the token request, the
     * timer that polls the zone for them while another worker's is in
     * flight
     */
    ngx_queue_t                      waiters;
    ngx_http_oauth2_client_fetch_t  *fetch;
    ngx_event_t                      poll;
    ngx_event_t                      prefetch_event;
    ngx_http_oauth2_client_retired_t retired;

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

    /* the indexes of $http_authorization, $http_dpop; NGX_ERROR: none */
    ngx_int_t                        authorization_variable;
    ngx_int_t                        dpop_variable;
} ngx_http_oauth2_client_main_conf_t;


typedef struct {
    ngx_http_oauth2_client_conf_t   *client;    /* NULL: off */
    ngx_str_t                        name;      /* data NULL: unset */
    u_char                          *file;
    ngx_uint_t                       line;
    ngx_msec_t                       wait_timeout;
    ngx_flag_t                       purge;
    ngx_http_complex_value_t        *dpop_htu;  /* NULL: derived */
    ngx_uint_t                       status;    /* oauth2_client_status */
} ngx_http_oauth2_client_loc_conf_t;


/* a cache lookup: what is asked, then what the cache answers */
typedef struct {
    ngx_http_oauth2_client_conf_t   *client;
    ngx_pool_t                      *pool;      /* NULL: no copy wanted */
    ngx_str_t                       *buf;       /* the copy goes there */
    ngx_msec_t                       claim_for; /* a claim's; 0: none */
    ngx_uint_t                       refresh;   /* may claim a refresh */
    ngx_log_t                       *log;

    ngx_str_t                        value;     /* "Bearer <token>" */
    uint32_t                         generation;
    ngx_msec_t                       expires;   /* the token's end of use */
    ngx_uint_t                       claim;     /* the claim taken */
    ngx_pid_t                        owner;     /* BUSY: who fetches */
    ngx_pid_t                        took_over; /* whose claim was taken */
    ngx_msec_t                       retry;     /* BACKOFF: ms to wait */
} ngx_http_oauth2_client_lookup_t;


/* the end of a token request, told to the cache in one call */
typedef struct {
    ngx_uint_t                       claim;
    ngx_str_t                        token;     /* data NULL: no token */
    ngx_msec_t                       expires;
    ngx_msec_t                       refresh;
    ngx_msec_t                       min;       /* backoff; 0: none */
    ngx_msec_t                       max;
    ngx_msec_t                       wait;      /* the server's own */
    ngx_str_t                        nonce;     /* DPoP-Nonce; NULL: none */
    unsigned                         dpop:1;    /* a DPoP-bound token */

    /* for the status: the exchange to count (NULL: none), the token's */
    ngx_http_oauth2_client_status_result_t  *status;
    char              fingerprint[NGX_HTTP_OAUTH2_CLIENT_STATUS_FP_LEN];

    uint32_t                         generation;
    ngx_msec_t                       delay;     /* the backoff set */
    unsigned                         taken_over:1;
    unsigned                         stored:1;
} ngx_http_oauth2_client_outcome_t;


/* a failure classified once, or the token */
typedef struct {
    ngx_uint_t       class;        /* class_e */
    ngx_uint_t       status;       /* HTTP; 0: none */
    ngx_msec_t       retry;        /* the server's wait */
    ngx_str_t        value;        /* OK: "Bearer <token>" or "DPoP ..." */
    ngx_str_t        token;        /* OK: the token in value */
    ngx_str_t        nonce;        /* the server's DPoP-Nonce, or empty */
    unsigned         dpop:1;       /* in: the request had a DPoP proof */
    unsigned         dpop_token:1; /* token_type DPoP */
    unsigned         nonce_twice:1;
    unsigned         dpop_refused:1; /* the refusal names DPoP */
    long long        expires_in;
    ngx_uint_t       capped;
    char             error[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    char             description[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    char             error_code[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    char             error_summary[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    u_char           msg[NGX_HTTP_OAUTH2_CLIENT_MSGLEN];  /* the cause */
} ngx_http_oauth2_client_result_t;


/* the token request on the wire: a request tied to no client */
typedef struct {
    ngx_connection_t                *connection;   /* a fake one */
    ngx_http_request_t              *request;      /* its main request */
    ngx_http_request_t              *subrequest;   /* the token request */
    ngx_str_t                       *client;       /* names, for the log */
    ngx_str_t                       *location;

    ngx_str_t                        body;         /* wiped at the end */
    ngx_buf_t                       *response;     /* likewise */
    ngx_int_t                        rc;           /* the subrequest's */

    void                           (*handler)(void *data);  /* it ended */
    void                            *data;

    ngx_pool_t                      *pool;         /* to release() */
    void                           (*release)(ngx_pool_t *pool);
    ngx_event_t                      terminated;   /* nginx ended it */

    unsigned                         done:1;
    unsigned                         complete:1;
    unsigned                         too_big:1;
    unsigned                         closing:1;
} ngx_http_oauth2_client_request_t;


/* a token request of this worker, in a pool of its own */
struct ngx_http_oauth2_client_fetch_s {
    ngx_uint_t                       id;
    ngx_uint_t                       reason;    /* reason_e */
    ngx_uint_t                       claim;
    ngx_msec_t                       sent;
    ngx_pool_t                      *pool;
    ngx_log_t                       *log;
    ngx_http_oauth2_client_conf_t   *client;
    ngx_shm_zone_t                  *shm_zone;

    ngx_http_oauth2_client_request_t request;
    ngx_http_oauth2_client_result_t  result;
    uint32_t                         generation;
    ngx_msec_t                       expires;   /* of its token */

    ngx_event_t                      run;       /* posted: send it */
    ngx_event_t                      deadline;
    ngx_event_t                      unwanted;  /* posted: nobody waits */

    ngx_str_t                        nonce;     /* DPoP: for the retry */

    unsigned                         ended:1;
    unsigned                         retried:1; /* use_dpop_nonce, once */
};


/* a request waiting for a token, from the first time it waits */
typedef struct {
    ngx_event_t                      event;     /* its timer, its wake-up */
    ngx_queue_t                      queue;     /* in client->waiters */
    ngx_msec_t                       deadline;
    ngx_uint_t                       fetch;     /* the id of its own */
    ngx_int_t                        outcome;   /* told when woken */
    unsigned                         dpop:1;    /* its own: DPoP refused */
    unsigned                         queued:1;
    unsigned                         woken:1;
} ngx_http_oauth2_client_wait_t;


/*
 * Per request that the module gives a token (a main request, or a
 * subrequest in a location with oauth2_token).  It lives in the request
 * pool, which a main request shares with its subrequests, reachable from
 * a pool cleanup too, so that it survives the internal redirects that
 * wipe the module contexts: it is the record of the header it set, and
 * of the clean state to go back to.
 */
typedef struct {
    ngx_http_oauth2_client_conf_t   *client;
    ngx_http_request_t              *request;

    /* "Bearer <token>": the token is value.data + 7, used till expires */
    ngx_str_t                        value;
    uint32_t                         generation;
    ngx_msec_t                       expires;   /* its end of use */

    /* where the cache copies the token to, kept while the request waits */
    ngx_str_t                        buf;

    /*
     * The Authorization element we set (its lowcase_key marks it as the
     * module's), and the state before it: the header list and the
     * client's Authorization, or NULL.  A clean state never holds a token.
     */
    ngx_table_elt_t                 *header;
    ngx_list_t                       clean;
    ngx_table_elt_t                 *clean_authorization;

    /*
     * The cache of variable values before the token: the request that
     * carries it caches its values in an array of its own, so that
     * nothing derived from the token (a map over $http_authorization,
     * say) is seen by a request that shares the array and carries none.
     */
    ngx_http_variable_value_t       *clean_variables;

    ngx_http_oauth2_client_wait_t   *wait;      /* NULL: never waited */

    ngx_int_t                        failed;    /* the status answered */

    unsigned                         token_status:4;
    unsigned                         injected:1;
    unsigned                         stripped:1;  /* kept for a redirect */
    unsigned                         nonce_challenge:1;
    unsigned                         proof_refused:1;
} ngx_http_oauth2_client_ctx_t;


/* handler.c: the precontent phase handler, the ctx, the header */
ngx_int_t ngx_http_oauth2_client_handler_init(ngx_conf_t *cf);
ngx_http_oauth2_client_ctx_t *ngx_http_oauth2_client_get_ctx(
    ngx_http_request_t *r);
void ngx_http_oauth2_client_ctx_cleanup(void *data);

/* confine.c: where the token goes, and where it is taken off */
ngx_int_t ngx_http_oauth2_client_confine_init(ngx_conf_t *cf);
ngx_table_elt_t *ngx_http_oauth2_client_credential(ngx_http_request_t *r);
ngx_int_t ngx_http_oauth2_client_inject(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_str_t *proof);
void ngx_http_oauth2_client_strip(ngx_http_request_t *r);

/* wait.c: requests that wait for a token request */
ngx_int_t ngx_http_oauth2_client_wait(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_msec_t timeout, ngx_uint_t id);
void ngx_http_oauth2_client_wait_cancel(ngx_http_oauth2_client_ctx_t *ctx);
void ngx_http_oauth2_client_wake(ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_fetch_t *f);
ngx_int_t ngx_http_oauth2_client_unavailable(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_msec_t retry);
void ngx_http_oauth2_client_failed(ngx_http_oauth2_client_ctx_t *ctx,
    ngx_int_t status);

/* fetch.c: the life of a token request */
ngx_http_oauth2_client_fetch_t *ngx_http_oauth2_client_fetch_start(
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t claim,
    ngx_uint_t reason, ngx_log_t *log);
void ngx_http_oauth2_client_fetch_cancel(ngx_http_oauth2_client_fetch_t *f);
void ngx_http_oauth2_client_fetch_exit(void);

/* check.c: the server of a client's token requests, nginx -t's warnings */
ngx_int_t ngx_http_oauth2_client_check(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);

/* worker.c: a worker's start (prefetch), graceful shutdown and exit */
ngx_int_t ngx_http_oauth2_client_worker_init(ngx_cycle_t *cycle);
void ngx_http_oauth2_client_worker_exit(ngx_cycle_t *cycle);

/* request.c: the request tied to no client, the response it captures */
ngx_int_t ngx_http_oauth2_client_request_init(ngx_conf_t *cf);
ngx_int_t ngx_http_oauth2_client_request_create(
    ngx_http_oauth2_client_request_t *rq, ngx_pool_t *pool,
    ngx_http_core_srv_conf_t *server);
ngx_int_t ngx_http_oauth2_client_request_send(
    ngx_http_oauth2_client_request_t *rq,
    ngx_http_oauth2_client_token_request_t *tr);
void ngx_http_oauth2_client_request_run(ngx_http_oauth2_client_request_t *rq);
void ngx_http_oauth2_client_request_close(
    ngx_http_oauth2_client_request_t *rq, ngx_pool_t *pool);
ngx_uint_t ngx_http_oauth2_client_request_owns(ngx_http_request_t *r);
ngx_connection_t *ngx_http_oauth2_client_connection_get(ngx_log_t *log);
void ngx_http_oauth2_client_connection_free(ngx_connection_t *c);

/* response.c: what the token endpoint answered */
void ngx_http_oauth2_client_response_read(
    ngx_http_oauth2_client_request_t *rq, ngx_pool_t *pool,
    ngx_http_oauth2_client_result_t *res);

/* backoff.c: how long to wait after a failure */
void ngx_http_oauth2_client_backoff(ngx_http_oauth2_client_result_t *res,
    ngx_http_oauth2_client_outcome_t *out, const char **hint);

/* cache.c: the zone */
void ngx_http_oauth2_client_cache_nonce_set(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t which,
    ngx_str_t *nonce);
size_t ngx_http_oauth2_client_cache_nonce_get(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_uint_t which, u_char *buf);
ngx_shm_zone_t *ngx_http_oauth2_client_cache_add_zone(ngx_conf_t *cf,
    ngx_str_t *name, ssize_t size);
ngx_uint_t ngx_http_oauth2_client_cache_lookup(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_lookup_t *lk);
void ngx_http_oauth2_client_cache_end(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_outcome_t *out, ngx_log_t *log);
void ngx_http_oauth2_client_cache_retired_end(
    ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_outcome_t *out, ngx_log_t *log);
ngx_int_t ngx_http_oauth2_client_cache_purge(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, uint32_t generation);

/* proof.c: DPoP proofs of requests, the resource servers' nonce */
ngx_int_t ngx_http_oauth2_client_proof_init(ngx_conf_t *cf);
ngx_int_t ngx_http_oauth2_client_proof(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_str_t *proof);

/* cache.c: what the status reads and counts in the zone */
ngx_int_t ngx_http_oauth2_client_cache_snapshot(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t **clients,
    ngx_http_oauth2_client_status_snapshot_t *s, ngx_pool_t *pool,
    ngx_log_t *log);
void ngx_http_oauth2_client_cache_served(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, const ngx_int_t *served);
void ngx_http_oauth2_client_cache_record(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client,
    const ngx_http_oauth2_client_status_result_t *res);
/* auth.c: client authentication, token_param */
extern ngx_command_t  ngx_http_oauth2_client_auth_commands[];
ngx_int_t ngx_http_oauth2_client_auth_finish(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
ngx_int_t ngx_http_oauth2_client_auth_finish_key(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
ngx_int_t ngx_http_oauth2_client_auth_check_location(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, ngx_http_upstream_conf_t *ucf);
int ngx_http_oauth2_client_auth_conf_id(ngx_http_oauth2_client_conf_t *client,
    EVP_MD_CTX *md);
const char *ngx_http_oauth2_client_auth_hint(
    ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_result_t *res, const char *hint);
ngx_int_t ngx_http_oauth2_client_auth_build(
    ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_token_request_t *tr, u_char *msg, size_t len);

/* purge.c: oauth2_token_purge */
ngx_int_t ngx_http_oauth2_client_purge_init(ngx_conf_t *cf);

/* variables.c */
ngx_int_t ngx_http_oauth2_client_add_variables(ngx_conf_t *cf);

/* status_handler.c: oauth2_client_status */
char *ngx_http_oauth2_client_status_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


extern ngx_module_t  ngx_http_oauth2_client_module;


#endif /* _NGX_HTTP_OAUTH2_CLIENT_MODULE_H_INCLUDED_ */
