
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The status of the module as data, and its two formats: JSON and the
 * Prometheus text exposition format 0.0.4.  No nginx types.
 *
 * The nginx side keeps, per client, one
 * ngx_http_oauth2_client_status_record_t in the client's zone entry and
 * updates it under the zone lock with the record_*() calls below; a
 * zone-wide eviction counter sits beside it in the zone's header.  To
 * answer a status request it copies, under the lock, each record (one
 * memcpy) and the few live fields of the entry (state, token type and
 * fingerprint, expiry, refresh, next attempt, the owner of a token
 * request) into a snapshot, releases the lock, and formats the snapshot
 * without it.  A snapshot holds no token, assertion, secret or key: it
 * has no field for one.
 *
 * ngx_http_oauth2_client_status_record_result(rec, res)
 *     counts the end of a token request into rec: its outcome, its
 *     latency in the histogram, the time of the last success or failure,
 *     the consecutive failures, and for a failure its class, HTTP status,
 *     OAuth error and error_description (copied, cut to
 *     NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_MAX bytes, every byte outside
 *     0x20..0x7e replaced by '?').
 *
 * ngx_http_oauth2_client_status_record_served(rec, served)
 *     counts a request served with a $oauth2_token_status value
 *     (STATUS_SERVED_*); takeovers and purges are plain increments.
 *
 * ngx_http_oauth2_client_status_outcome(class, error)
 *     the STATUS_OUTCOME_* counter of a token request that ended with
 *     class (STATUS_CLASS_*) and, for http_4xx, the OAuth error (NULL:
 *     none): invalid_client ... use_dpop_nonce, or http_4xx "other".
 *
 * ngx_http_oauth2_client_status_bucket(ms)
 *     the histogram bucket of a latency in milliseconds: the first bound
 *     it does not exceed (Prometheus' "le"), the last one for +Inf.
 *
 * ngx_http_oauth2_client_status_json(s, buf, size)
 * ngx_http_oauth2_client_status_prometheus(s, buf, size)
 *     format the snapshot s into buf, as snprintf() does without the
 *     NUL: the return value is the length of the whole output, and at
 *     most size bytes of it are written (buf may be NULL when size is 0).
 *     Call once with size 0 for the length, then with a buffer that
 *     long.  The output depends on s only, so both calls agree.  The
 *     schema and the metric names are in docs/status.md.
 *
 * Strings in the snapshot are NUL-terminated inside their arrays; one
 * that fills its array is read to the end of the array and no further.
 * Enumerations out of range are shown as "unknown" (JSON) or left out
 * (Prometheus), never read past a table.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_STATUS_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_STATUS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* a client name is at most 255 bytes (the zone keeps it so); a zone too */
#define NGX_HTTP_OAUTH2_CLIENT_STATUS_NAME_LEN     256

/* the longest OAuth error or error_description kept, as the parser's */
#define NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_MAX     200
#define NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_LEN                              \
    (NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_MAX + 1)

#define NGX_HTTP_OAUTH2_CLIENT_STATUS_VERSION_LEN  32

/* 8 hex digits, the first 4 bytes of the token's SHA-256, and a NUL */
#define NGX_HTTP_OAUTH2_CLIENT_STATUS_FP_LEN       9

/*
 * token request latency buckets, Prometheus' default bounds above 25 ms:
 * 0.05 0.1 0.25 0.5 1 2.5 5 10 seconds and +Inf
 */
#define NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS      9


/* what a client is doing */
typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_NO_TOKEN = 0,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_VALID,       /* a live token */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_REFRESHING,  /* live, refetched */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_BACKOFF,     /* waits to retry */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_N
} ngx_http_oauth2_client_status_state_e;


typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_BEARER = 0,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_DPOP,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_N
} ngx_http_oauth2_client_status_token_e;


/* how a token request ended (the fetch's class, nginx-free) */
typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK = 0,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX,    /* but 429 */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_429,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_5XX,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TIMEOUT,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_CONNECT,     /* no response */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INVALID,     /* no token in it */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TOO_LARGE,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INTERNAL,    /* ours */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_N
} ngx_http_oauth2_client_status_class_e;


/* the token request counters: a class, and 4xx by OAuth error */
typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_OK = 0,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_CLIENT,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_SCOPE,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_REQUEST,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_UNAUTHORIZED_CLIENT,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_UNSUPPORTED_GRANT_TYPE,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_DPOP_PROOF,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_USE_DPOP_NONCE,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_4XX_OTHER,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_429,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_5XX,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_TIMEOUT,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_CONNECT,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_TOO_LARGE,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INTERNAL,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_N
} ngx_http_oauth2_client_status_outcome_e;


/* requests served, by their $oauth2_token_status */
typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_HIT = 0,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_MISS,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_REFRESH,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_STALE,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_WAIT,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_BACKOFF,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_ERROR,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_DPOP,       /* refused for DPoP */
    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N
} ngx_http_oauth2_client_status_served_e;


/*
 * What the zone keeps per client, shared by the workers and kept across
 * reloads: the nginx side embeds it in the zone entry, keeps it when it
 * resets the entry's token for a new configuration, and copies it whole
 * into the snapshot.  Counters only grow; "failures" is the number of
 * token requests that failed since the last success.
 */
typedef struct {
    uint64_t    requests[NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_N];
    uint64_t    served[NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N];
    uint64_t    takeovers;
    uint64_t    purges;

    /* per bucket, not cumulative; the count is their sum */
    uint64_t    latency[NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS];
    uint64_t    latency_ms;                  /* the sum */

    uint64_t    failures;
    int64_t     last_success;                /* unix time; 0: never */
    int64_t     last_failure;                /* unix time; 0: never */

    /* the last failure, valid when last_failure is not 0 */
    uint32_t    last_class;                  /* STATUS_CLASS_* */
    uint32_t    last_status;                 /* HTTP status; 0: none */
    char        last_error[NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_LEN];
    char        last_description[NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_LEN];
} ngx_http_oauth2_client_status_record_t;


/* the end of a token request, as record_result() counts it */
typedef struct {
    uint32_t    class;                       /* STATUS_CLASS_* */
    uint32_t    status;                      /* HTTP status; 0: none */
    const char *error;                       /* NULL or "": none */
    const char *description;                 /* NULL or "": none */
    uint64_t    latency_ms;
    int64_t     now;                         /* unix time */
} ngx_http_oauth2_client_status_result_t;


/*
 * One client in a snapshot: its name (from the configuration), the live
 * fields of its zone entry, and the copy of its record.  The has_* flags
 * tell the optional values present; the nginx side sets expires_in and
 * the token fields only when token_cached, refresh_in only when a
 * refresh time is known, next_attempt_in only when a backoff is in
 * force, fetch_pid only when fetching.  Times are in seconds from the
 * snapshot's "now".
 */
typedef struct {
    char        name[NGX_HTTP_OAUTH2_CLIENT_STATUS_NAME_LEN];
    uint32_t    state;                       /* STATUS_STATE_* */
    uint32_t    token_type;                  /* STATUS_TOKEN_* */
    char        fingerprint[NGX_HTTP_OAUTH2_CLIENT_STATUS_FP_LEN];

    unsigned    token_cached:1;
    unsigned    has_expires_in:1;
    unsigned    has_refresh_in:1;
    unsigned    has_next_attempt_in:1;
    unsigned    fetching:1;                  /* a token request runs */

    int64_t     expires_in;
    int64_t     refresh_in;
    int64_t     next_attempt_in;
    int64_t     fetch_pid;                   /* the process that runs it */

    ngx_http_oauth2_client_status_record_t  record;
} ngx_http_oauth2_client_status_client_t;


typedef struct {
    char        name[NGX_HTTP_OAUTH2_CLIENT_STATUS_NAME_LEN];
    uint64_t    size;                        /* bytes */
    uint64_t    used;
    uint64_t    free;
    uint64_t    entries;
    uint64_t    evictions;                   /* kept in the zone */
} ngx_http_oauth2_client_status_zone_t;


typedef struct {
    char        version[NGX_HTTP_OAUTH2_CLIENT_STATUS_VERSION_LEN];
    int64_t     now;                         /* unix time of the copy */

    ngx_http_oauth2_client_status_zone_t     zone;

    size_t                                   nclients;
    ngx_http_oauth2_client_status_client_t  *clients;
} ngx_http_oauth2_client_status_snapshot_t;


void ngx_http_oauth2_client_status_record_result(
    ngx_http_oauth2_client_status_record_t *rec,
    const ngx_http_oauth2_client_status_result_t *res);
void ngx_http_oauth2_client_status_record_served(
    ngx_http_oauth2_client_status_record_t *rec, unsigned served);
unsigned ngx_http_oauth2_client_status_outcome(unsigned class,
    const char *error);
unsigned ngx_http_oauth2_client_status_bucket(uint64_t ms);

/* the bound of bucket i in milliseconds; UINT64_MAX for +Inf */
uint64_t ngx_http_oauth2_client_status_bound(unsigned i);

/* names: "valid", "http_429", "invalid_client", "HIT"...; NULL if unknown */
const char *ngx_http_oauth2_client_status_state_name(unsigned state);
const char *ngx_http_oauth2_client_status_class_name(unsigned class);
const char *ngx_http_oauth2_client_status_served_name(unsigned served);

size_t ngx_http_oauth2_client_status_json(
    const ngx_http_oauth2_client_status_snapshot_t *s, char *buf,
    size_t size);
size_t ngx_http_oauth2_client_status_prometheus(
    const ngx_http_oauth2_client_status_snapshot_t *s, char *buf,
    size_t size);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_STATUS_H_INCLUDED_ */
