
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The status as data and as JSON or Prometheus text.  See
 * ngx_http_oauth2_client_status.h; the formats are in docs/status.md.
 *
 * Both formatters write through one bounded writer that counts every
 * byte and stores those that fit, so the length pass and the writing
 * pass run the same code.  Numbers are written by hand: no printf, no
 * locale, no NUL to make room for.
 */


#include <string.h>

#include "ngx_http_oauth2_client_status.h"


typedef struct {
    char                                            *buf;
    size_t                                           size;
    size_t                                           len;
} ngx_http_oauth2_client_status_out_t;


/* a Prometheus metric family being written */
typedef struct {
    ngx_http_oauth2_client_status_out_t             *out;
    const ngx_http_oauth2_client_status_snapshot_t  *s;
    const char                                      *name;
    const char                                      *type;
    const char                                      *help;
    unsigned                                         begun:1;
} ngx_http_oauth2_client_status_prom_t;


typedef void (*ngx_http_oauth2_client_status_emit_pt)(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);


typedef struct {
    const char                                      *name;
    const char                                      *type;
    const char                                      *help;
    ngx_http_oauth2_client_status_emit_pt            emit;
} ngx_http_oauth2_client_status_family_t;


static void ngx_http_oauth2_client_status_copy(char *dst, const char *src);
static void ngx_http_oauth2_client_status_mem(
    ngx_http_oauth2_client_status_out_t *out, const char *p, size_t n);
static void ngx_http_oauth2_client_status_str(
    ngx_http_oauth2_client_status_out_t *out, const char *s);
static void ngx_http_oauth2_client_status_uint(
    ngx_http_oauth2_client_status_out_t *out, uint64_t v);
static void ngx_http_oauth2_client_status_int(
    ngx_http_oauth2_client_status_out_t *out, int64_t v);
static void ngx_http_oauth2_client_status_seconds(
    ngx_http_oauth2_client_status_out_t *out, uint64_t ms);
static uint64_t ngx_http_oauth2_client_status_add(uint64_t a, uint64_t b);
static uint64_t ngx_http_oauth2_client_status_count(
    const ngx_http_oauth2_client_status_record_t *rec);

static void ngx_http_oauth2_client_status_json_str(
    ngx_http_oauth2_client_status_out_t *out, const char *s, size_t max);
static void ngx_http_oauth2_client_status_json_key(
    ngx_http_oauth2_client_status_out_t *out, const char *key);
static void ngx_http_oauth2_client_status_json_uint(
    ngx_http_oauth2_client_status_out_t *out, const char *key, uint64_t v);
static void ngx_http_oauth2_client_status_json_opt(
    ngx_http_oauth2_client_status_out_t *out, const char *key, int has,
    int64_t v);
static void ngx_http_oauth2_client_status_json_name(
    ngx_http_oauth2_client_status_out_t *out, const char *key,
    const char *name);
static void ngx_http_oauth2_client_status_json_text(
    ngx_http_oauth2_client_status_out_t *out, const char *key,
    const char *s);
static void ngx_http_oauth2_client_status_json_token(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_json_failure(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_record_t *rec);
static void ngx_http_oauth2_client_status_json_counters(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_record_t *rec);
static void ngx_http_oauth2_client_status_json_histogram(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_record_t *rec);
static void ngx_http_oauth2_client_status_json_client(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_client_t *c);

static void ngx_http_oauth2_client_status_prom_escaped(
    ngx_http_oauth2_client_status_out_t *out, const char *s, size_t max);
static void ngx_http_oauth2_client_status_prom_sample(
    ngx_http_oauth2_client_status_prom_t *p, const char *suffix,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_prom_label(
    ngx_http_oauth2_client_status_prom_t *p, const char *name,
    const char *value, size_t max);
static void ngx_http_oauth2_client_status_prom_uint(
    ngx_http_oauth2_client_status_prom_t *p, uint64_t v);
static void ngx_http_oauth2_client_status_prom_int(
    ngx_http_oauth2_client_status_prom_t *p, int64_t v);
static void ngx_http_oauth2_client_status_prom_zone(
    ngx_http_oauth2_client_status_prom_t *p);
static void ngx_http_oauth2_client_status_emit_state(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_cached(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_token_info(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_expires(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_refresh(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_next(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_in_flight(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_failures(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_success_time(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_failure_time(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_failure_info(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_requests(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_served(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_takeovers(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_purges(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);
static void ngx_http_oauth2_client_status_emit_latency(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c);


static const char  *ngx_http_oauth2_client_status_states[] = {
    "no_token", "valid", "refreshing", "backoff"
};

static const char  *ngx_http_oauth2_client_status_tokens[] = {
    "Bearer", "DPoP"
};

static const char  *ngx_http_oauth2_client_status_classes[] = {
    "ok", "http_4xx", "http_429", "http_5xx", "timeout", "connect",
    "invalid", "too_large", "internal"
};

static const char  *ngx_http_oauth2_client_status_served_names[] = {
    "HIT", "MISS", "REFRESH", "STALE", "WAIT", "BACKOFF", "ERROR", "DPOP"
};


/* each outcome counter: its class, and the OAuth error for http_4xx */
static const struct {
    unsigned     class;
    const char  *error;
} ngx_http_oauth2_client_status_outcomes[] = {
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK, NULL },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "invalid_client" },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "invalid_scope" },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "invalid_request" },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "unauthorized_client" },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX,
      "unsupported_grant_type" },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "invalid_dpop_proof" },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "use_dpop_nonce" },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "other" },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_429, NULL },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_5XX, NULL },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TIMEOUT, NULL },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_CONNECT, NULL },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INVALID, NULL },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TOO_LARGE, NULL },
    { NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INTERNAL, NULL }
};


/*
 * The bytes both formats write as they are: printable ASCII but the
 * double quote and the backslash (one bit per byte, as nginx's escape
 * tables)
 */

static const uint32_t  ngx_http_oauth2_client_status_plain[] = {
    0x00000000,  /* 0x00-0x1f: control bytes */
    0xfffffffb,  /* 0x20-0x3f: all but '"' */
    0xefffffff,  /* 0x40-0x5f: all but '\\' */
    0x7fffffff,  /* 0x60-0x7f: all but DEL */
    0x00000000, 0x00000000, 0x00000000, 0x00000000
};


/* the bucket bounds, in milliseconds and as Prometheus writes "le" */

static const uint64_t  ngx_http_oauth2_client_status_bounds[] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, UINT64_MAX
};

static const char  *ngx_http_oauth2_client_status_le[] = {
    "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"
};


/*
 * The Prometheus families of a client, in output order.  Gauges whose
 * value can be absent have no sample then; a family with no sample at
 * all has no HELP or TYPE line either.
 */

static const ngx_http_oauth2_client_status_family_t
    ngx_http_oauth2_client_status_families[] =
{
    { "oauth2_client_state", "gauge",
      "The state of the client: 1 for the current one of no_token, "
      "valid, refreshing, backoff.",
      ngx_http_oauth2_client_status_emit_state },

    { "oauth2_client_token_cached", "gauge",
      "1 if the zone holds a live token of the client.",
      ngx_http_oauth2_client_status_emit_cached },

    { "oauth2_client_token_info", "gauge",
      "The type of the cached token (Bearer or DPoP), always 1.",
      ngx_http_oauth2_client_status_emit_token_info },

    { "oauth2_client_token_expires_in_seconds", "gauge",
      "Seconds until the cached token expires.",
      ngx_http_oauth2_client_status_emit_expires },

    { "oauth2_client_token_refresh_in_seconds", "gauge",
      "Seconds until the cached token is refreshed.",
      ngx_http_oauth2_client_status_emit_refresh },

    { "oauth2_client_next_attempt_in_seconds", "gauge",
      "Seconds until the backoff allows the next token request.",
      ngx_http_oauth2_client_status_emit_next },

    { "oauth2_client_token_request_in_flight", "gauge",
      "1 while a token request of the client runs.",
      ngx_http_oauth2_client_status_emit_in_flight },

    { "oauth2_client_consecutive_failures", "gauge",
      "Token requests that failed since the last success.",
      ngx_http_oauth2_client_status_emit_failures },

    { "oauth2_client_last_success_timestamp_seconds", "gauge",
      "Unix time of the last token request that gave a token.",
      ngx_http_oauth2_client_status_emit_success_time },

    { "oauth2_client_last_failure_timestamp_seconds", "gauge",
      "Unix time of the last token request that failed.",
      ngx_http_oauth2_client_status_emit_failure_time },

    { "oauth2_client_last_failure_info", "gauge",
      "The class, HTTP status and OAuth error of the last failure, "
      "always 1.",
      ngx_http_oauth2_client_status_emit_failure_info },

    { "oauth2_client_token_requests_total", "counter",
      "Token requests by outcome; http_4xx by OAuth error.",
      ngx_http_oauth2_client_status_emit_requests },

    { "oauth2_client_requests_total", "counter",
      "Requests served, by their $oauth2_token_status.",
      ngx_http_oauth2_client_status_emit_served },

    { "oauth2_client_takeovers_total", "counter",
      "Token requests taken over from a process that died.",
      ngx_http_oauth2_client_status_emit_takeovers },

    { "oauth2_client_purges_total", "counter",
      "Cached tokens purged because the upstream refused them.",
      ngx_http_oauth2_client_status_emit_purges },

    { "oauth2_client_token_request_duration_seconds", "histogram",
      "Latency of token requests.",
      ngx_http_oauth2_client_status_emit_latency },

    { NULL, NULL, NULL, NULL }
};


/* the record */

void
ngx_http_oauth2_client_status_record_result(
    ngx_http_oauth2_client_status_record_t *rec,
    const ngx_http_oauth2_client_status_result_t *res)
{
    unsigned  class;

    class = res->class;

    if (class >= NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_N) {
        class = NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INTERNAL;
    }

    rec->requests[ngx_http_oauth2_client_status_outcome(class, res->error)]++;
    rec->latency[ngx_http_oauth2_client_status_bucket(res->latency_ms)]++;
    rec->latency_ms = ngx_http_oauth2_client_status_add(rec->latency_ms,
                                                        res->latency_ms);

    if (class == NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK) {
        rec->last_success = res->now;
        rec->failures = 0;
        return;
    }

    rec->last_failure = res->now;
    rec->failures++;
    rec->last_class = class;
    rec->last_status = res->status;

    ngx_http_oauth2_client_status_copy(rec->last_error, res->error);
    ngx_http_oauth2_client_status_copy(rec->last_description,
                                       res->description);
}


/*
 * The zone keeps server text for everyone who reads the status: cut to
 * size, one printable line, whatever the caller sanitized already.
 */

static void
ngx_http_oauth2_client_status_copy(char *dst, const char *src)
{
    size_t         i;
    unsigned char  c;

    i = 0;

    if (src != NULL) {
        for ( /* void */ ; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_MAX
                           && src[i] != '\0'; i++)
        {
            c = (unsigned char) src[i];
            dst[i] = (c >= 0x20 && c <= 0x7e) ? (char) c : '?';
        }
    }

    dst[i] = '\0';
}


void
ngx_http_oauth2_client_status_record_served(
    ngx_http_oauth2_client_status_record_t *rec, unsigned served)
{
    if (served < NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N) {
        rec->served[served]++;
    }
}


unsigned
ngx_http_oauth2_client_status_outcome(unsigned class, const char *error)
{
    unsigned  i;

    switch (class) {

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK:
        return NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_OK;

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX:

        /* "other" itself is not an error a server gives */

        if (error != NULL) {
            for (i = NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_CLIENT;
                 i < NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_4XX_OTHER;
                 i++)
            {
                if (strcmp(error, ngx_http_oauth2_client_status_outcomes[i]
                                  .error)
                    == 0)
                {
                    return i;
                }
            }
        }

        return NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_4XX_OTHER;

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_429:
        return NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_429;

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_5XX:
        return NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_5XX;

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TIMEOUT:
        return NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_TIMEOUT;

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_CONNECT:
        return NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_CONNECT;

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INVALID:
        return NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID;

    case NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TOO_LARGE:
        return NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_TOO_LARGE;

    default:
        return NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INTERNAL;
    }
}


unsigned
ngx_http_oauth2_client_status_bucket(uint64_t ms)
{
    unsigned  i;

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS - 1; i++) {
        if (ms <= ngx_http_oauth2_client_status_bounds[i]) {
            break;
        }
    }

    return i;
}


uint64_t
ngx_http_oauth2_client_status_bound(unsigned i)
{
    if (i >= NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS) {
        return UINT64_MAX;
    }

    return ngx_http_oauth2_client_status_bounds[i];
}


const char *
ngx_http_oauth2_client_status_state_name(unsigned state)
{
    if (state >= NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_N) {
        return NULL;
    }

    return ngx_http_oauth2_client_status_states[state];
}


const char *
ngx_http_oauth2_client_status_class_name(unsigned class)
{
    if (class >= NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_N) {
        return NULL;
    }

    return ngx_http_oauth2_client_status_classes[class];
}


const char *
ngx_http_oauth2_client_status_served_name(unsigned served)
{
    if (served >= NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N) {
        return NULL;
    }

    return ngx_http_oauth2_client_status_served_names[served];
}


/* the writer */

static void
ngx_http_oauth2_client_status_mem(ngx_http_oauth2_client_status_out_t *out,
    const char *p, size_t n)
{
    size_t  room;

    if (out->len < out->size) {
        room = out->size - out->len;
        memcpy(out->buf + out->len, p, n < room ? n : room);
    }

    out->len += n;
}


static void
ngx_http_oauth2_client_status_str(ngx_http_oauth2_client_status_out_t *out,
    const char *s)
{
    ngx_http_oauth2_client_status_mem(out, s, strlen(s));
}


static void
ngx_http_oauth2_client_status_uint(ngx_http_oauth2_client_status_out_t *out,
    uint64_t v)
{
    char   digits[20], *p;

    p = digits + sizeof(digits);

    do {
        *--p = (char) ('0' + v % 10);
        v /= 10;
    } while (v != 0);

    ngx_http_oauth2_client_status_mem(out, p, digits + sizeof(digits) - p);
}


static void
ngx_http_oauth2_client_status_int(ngx_http_oauth2_client_status_out_t *out,
    int64_t v)
{
    if (v < 0) {
        ngx_http_oauth2_client_status_mem(out, "-", 1);

        /* INT64_MIN has no positive int64_t: negate in uint64_t */
        ngx_http_oauth2_client_status_uint(out, 0 - (uint64_t) v);
        return;
    }

    ngx_http_oauth2_client_status_uint(out, (uint64_t) v);
}


/* milliseconds as seconds with three decimals: "12.345" */

static void
ngx_http_oauth2_client_status_seconds(
    ngx_http_oauth2_client_status_out_t *out, uint64_t ms)
{
    char  frac[4];

    frac[0] = '.';
    frac[1] = (char) ('0' + ms / 100 % 10);
    frac[2] = (char) ('0' + ms / 10 % 10);
    frac[3] = (char) ('0' + ms % 10);

    ngx_http_oauth2_client_status_uint(out, ms / 1000);
    ngx_http_oauth2_client_status_mem(out, frac, sizeof(frac));
}


static uint64_t
ngx_http_oauth2_client_status_add(uint64_t a, uint64_t b)
{
    return (a > UINT64_MAX - b) ? UINT64_MAX : a + b;
}


static uint64_t
ngx_http_oauth2_client_status_count(
    const ngx_http_oauth2_client_status_record_t *rec)
{
    unsigned  i;
    uint64_t  n;

    n = 0;

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS; i++) {
        n = ngx_http_oauth2_client_status_add(n, rec->latency[i]);
    }

    return n;
}


/* JSON */

size_t
ngx_http_oauth2_client_status_json(
    const ngx_http_oauth2_client_status_snapshot_t *s, char *buf,
    size_t size)
{
    size_t                                       z;
    ngx_http_oauth2_client_status_out_t          out;
    const ngx_http_oauth2_client_status_zone_t  *zone;

    out.buf = buf;
    out.size = size;
    out.len = 0;

    zone = &s->zone;

    ngx_http_oauth2_client_status_str(&out, "{\"version\":");
    ngx_http_oauth2_client_status_json_str(&out, s->version,
                                           sizeof(s->version));
    ngx_http_oauth2_client_status_json_opt(&out, "time", 1, s->now);

    ngx_http_oauth2_client_status_json_key(&out, "zone");
    ngx_http_oauth2_client_status_str(&out, "{\"name\":");
    ngx_http_oauth2_client_status_json_str(&out, zone->name,
                                           sizeof(zone->name));
    ngx_http_oauth2_client_status_json_uint(&out, "size", zone->size);
    ngx_http_oauth2_client_status_json_uint(&out, "used", zone->used);
    ngx_http_oauth2_client_status_json_uint(&out, "free", zone->free);
    ngx_http_oauth2_client_status_json_uint(&out, "entries", zone->entries);
    ngx_http_oauth2_client_status_json_uint(&out, "evictions",
                                            zone->evictions);
    ngx_http_oauth2_client_status_mem(&out, "}", 1);

    ngx_http_oauth2_client_status_json_key(&out, "clients");
    ngx_http_oauth2_client_status_mem(&out, "{", 1);

    for (z = 0; z < s->nclients; z++) {
        if (z != 0) {
            ngx_http_oauth2_client_status_mem(&out, ",", 1);
        }

        ngx_http_oauth2_client_status_json_client(&out, &s->clients[z]);
    }

    ngx_http_oauth2_client_status_str(&out, "}}\n");

    return out.len;
}


/*
 * A quoted JSON string.  Quotes, backslashes and control bytes are
 * escaped; so are DEL and bytes above 0x7e (as \u00XX), so the output is
 * plain ASCII, valid JSON whatever the bytes.
 */

static void
ngx_http_oauth2_client_status_json_str(
    ngx_http_oauth2_client_status_out_t *out, const char *s, size_t max)
{
    char           esc[6];
    size_t         i, n, start;
    unsigned char  c;

    static const char  hex[] = "0123456789abcdef";

    ngx_http_oauth2_client_status_mem(out, "\"", 1);

    start = 0;

    n = strnlen(s, max);

    for (i = 0; i < n; i++) {
        c = (unsigned char) s[i];

        if (ngx_http_oauth2_client_status_plain[c >> 5] & (1U << (c & 0x1f))) {
            continue;
        }

        ngx_http_oauth2_client_status_mem(out, s + start, i - start);
        start = i + 1;

        esc[0] = '\\';

        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char) c;
            ngx_http_oauth2_client_status_mem(out, esc, 2);
            continue;
        case '\n':
            ngx_http_oauth2_client_status_mem(out, "\\n", 2);
            continue;
        case '\r':
            ngx_http_oauth2_client_status_mem(out, "\\r", 2);
            continue;
        case '\t':
            ngx_http_oauth2_client_status_mem(out, "\\t", 2);
            continue;
        }

        esc[1] = 'u';
        esc[2] = '0';
        esc[3] = '0';
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 0x0f];

        ngx_http_oauth2_client_status_mem(out, esc, sizeof(esc));
    }

    ngx_http_oauth2_client_status_mem(out, s + start, i - start);
    ngx_http_oauth2_client_status_mem(out, "\"", 1);
}


/* ,"key": (the first key of an object is written with its brace) */

static void
ngx_http_oauth2_client_status_json_key(
    ngx_http_oauth2_client_status_out_t *out, const char *key)
{
    ngx_http_oauth2_client_status_mem(out, ",\"", 2);
    ngx_http_oauth2_client_status_str(out, key);
    ngx_http_oauth2_client_status_mem(out, "\":", 2);
}


/*
 * Counters beyond 2^63 - 1 are written as that: every JSON reader that
 * takes 64-bit integers (jansson's json_int_t) reads them.
 */

static void
ngx_http_oauth2_client_status_json_uint(
    ngx_http_oauth2_client_status_out_t *out, const char *key, uint64_t v)
{
    ngx_http_oauth2_client_status_json_key(out, key);
    ngx_http_oauth2_client_status_uint(out, v > INT64_MAX ? INT64_MAX : v);
}


static void
ngx_http_oauth2_client_status_json_opt(
    ngx_http_oauth2_client_status_out_t *out, const char *key, int has,
    int64_t v)
{
    ngx_http_oauth2_client_status_json_key(out, key);

    if (!has) {
        ngx_http_oauth2_client_status_str(out, "null");
        return;
    }

    ngx_http_oauth2_client_status_int(out, v);
}


/* a name from a table: NULL is "unknown" */

static void
ngx_http_oauth2_client_status_json_name(
    ngx_http_oauth2_client_status_out_t *out, const char *key,
    const char *name)
{
    ngx_http_oauth2_client_status_json_key(out, key);
    ngx_http_oauth2_client_status_json_str(out,
                                           name != NULL ? name : "unknown",
                                           (size_t) -1);
}


/* server text: "" is null */

static void
ngx_http_oauth2_client_status_json_text(
    ngx_http_oauth2_client_status_out_t *out, const char *key,
    const char *s)
{
    ngx_http_oauth2_client_status_json_key(out, key);

    if (s[0] == '\0') {
        ngx_http_oauth2_client_status_str(out, "null");
        return;
    }

    ngx_http_oauth2_client_status_json_str(out, s,
                                       NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_LEN);
}


static void
ngx_http_oauth2_client_status_json_client(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_client_t *c)
{
    const ngx_http_oauth2_client_status_record_t  *rec;

    rec = &c->record;

    /* the name is the key and, for a reader of one client, a member */

    ngx_http_oauth2_client_status_json_str(out, c->name, sizeof(c->name));
    ngx_http_oauth2_client_status_str(out, ":{\"name\":");
    ngx_http_oauth2_client_status_json_str(out, c->name, sizeof(c->name));
    ngx_http_oauth2_client_status_json_name(out, "state",
                          ngx_http_oauth2_client_status_state_name(c->state));

    ngx_http_oauth2_client_status_json_token(out, c);

    ngx_http_oauth2_client_status_json_key(out, "in_flight");
    ngx_http_oauth2_client_status_str(out, c->fetching ? "true" : "false");
    ngx_http_oauth2_client_status_json_opt(out, "pid", c->fetching,
                                           c->fetch_pid);
    ngx_http_oauth2_client_status_json_opt(out, "next_attempt_in",
                                           c->has_next_attempt_in,
                                           c->next_attempt_in);
    ngx_http_oauth2_client_status_json_uint(out, "consecutive_failures",
                                            rec->failures);
    ngx_http_oauth2_client_status_json_opt(out, "last_success",
                                           rec->last_success != 0,
                                           rec->last_success);

    ngx_http_oauth2_client_status_json_failure(out, rec);
    ngx_http_oauth2_client_status_json_counters(out, rec);
    ngx_http_oauth2_client_status_json_histogram(out, rec);

    ngx_http_oauth2_client_status_mem(out, "}", 1);
}


static void
ngx_http_oauth2_client_status_json_token(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_client_t *c)
{
    const char  *type;

    ngx_http_oauth2_client_status_json_key(out, "token");

    if (!c->token_cached) {
        ngx_http_oauth2_client_status_str(out, "{\"cached\":false,"
                                          "\"type\":null,"
                                          "\"fingerprint\":null");

    } else {
        type = c->token_type < NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_N
               ? ngx_http_oauth2_client_status_tokens[c->token_type] : NULL;

        ngx_http_oauth2_client_status_str(out, "{\"cached\":true");
        ngx_http_oauth2_client_status_json_name(out, "type", type);

        ngx_http_oauth2_client_status_json_key(out, "fingerprint");

        if (c->fingerprint[0] == '\0') {
            ngx_http_oauth2_client_status_str(out, "null");

        } else {
            ngx_http_oauth2_client_status_json_str(out, c->fingerprint,
                                                   sizeof(c->fingerprint));
        }
    }

    ngx_http_oauth2_client_status_json_opt(out, "expires_in",
                                           c->has_expires_in, c->expires_in);
    ngx_http_oauth2_client_status_json_opt(out, "refresh_in",
                                           c->has_refresh_in, c->refresh_in);
    ngx_http_oauth2_client_status_mem(out, "}", 1);
}


static void
ngx_http_oauth2_client_status_json_failure(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_record_t *rec)
{
    ngx_http_oauth2_client_status_json_key(out, "last_failure");

    if (rec->last_failure == 0) {
        ngx_http_oauth2_client_status_str(out, "{\"time\":null,"
                                          "\"class\":null,"
                                          "\"status\":null,"
                                          "\"error\":null,"
                                          "\"error_description\":null}");
        return;
    }

    ngx_http_oauth2_client_status_str(out, "{\"time\":");
    ngx_http_oauth2_client_status_int(out, rec->last_failure);
    ngx_http_oauth2_client_status_json_name(out, "class",
                   ngx_http_oauth2_client_status_class_name(rec->last_class));
    ngx_http_oauth2_client_status_json_opt(out, "status",
                                           rec->last_status != 0,
                                           rec->last_status);
    ngx_http_oauth2_client_status_json_text(out, "error", rec->last_error);
    ngx_http_oauth2_client_status_json_text(out, "error_description",
                                            rec->last_description);
    ngx_http_oauth2_client_status_mem(out, "}", 1);
}


/*
 * "token_requests": {"ok": N, "http_4xx": {"invalid_client": N, ...,
 * "other": N}, "http_429": N, ...}: the outcome table in its order,
 * its http_4xx rows in one object
 */

static void
ngx_http_oauth2_client_status_json_counters(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_record_t *rec)
{
    unsigned     i;
    uint64_t     v;
    const char  *class, *error;

    ngx_http_oauth2_client_status_json_key(out, "token_requests");

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_N; i++) {
        class = ngx_http_oauth2_client_status_classes[
                    ngx_http_oauth2_client_status_outcomes[i].class];
        error = ngx_http_oauth2_client_status_outcomes[i].error;

        ngx_http_oauth2_client_status_mem(out, i == 0 ? "{" : ",", 1);

        if (error == NULL
            || i == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_CLIENT)
        {
            ngx_http_oauth2_client_status_json_str(out, class, (size_t) -1);
            ngx_http_oauth2_client_status_mem(out, ":", 1);
        }

        if (error != NULL) {
            if (i == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_CLIENT) {
                ngx_http_oauth2_client_status_mem(out, "{", 1);
            }

            ngx_http_oauth2_client_status_json_str(out, error, (size_t) -1);
            ngx_http_oauth2_client_status_mem(out, ":", 1);
        }

        v = rec->requests[i];
        ngx_http_oauth2_client_status_uint(out, v > INT64_MAX ? INT64_MAX : v);

        if (i == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_4XX_OTHER) {
            ngx_http_oauth2_client_status_mem(out, "}", 1);
        }
    }

    ngx_http_oauth2_client_status_mem(out, "}", 1);

    ngx_http_oauth2_client_status_json_key(out, "requests");

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N; i++) {
        ngx_http_oauth2_client_status_mem(out, i == 0 ? "{" : ",", 1);
        ngx_http_oauth2_client_status_json_str(out,
                                ngx_http_oauth2_client_status_served_name(i),
                                (size_t) -1);
        ngx_http_oauth2_client_status_mem(out, ":", 1);

        v = rec->served[i];
        ngx_http_oauth2_client_status_uint(out, v > INT64_MAX ? INT64_MAX : v);
    }

    ngx_http_oauth2_client_status_mem(out, "}", 1);

    ngx_http_oauth2_client_status_json_uint(out, "takeovers", rec->takeovers);
    ngx_http_oauth2_client_status_json_uint(out, "purges", rec->purges);
}


/* Prometheus' own shape: cumulative counts, "le" as it writes it */

static void
ngx_http_oauth2_client_status_json_histogram(
    ngx_http_oauth2_client_status_out_t *out,
    const ngx_http_oauth2_client_status_record_t *rec)
{
    unsigned  i;
    uint64_t  n;

    ngx_http_oauth2_client_status_json_key(out, "token_request_duration");
    ngx_http_oauth2_client_status_str(out, "{\"buckets\":[");

    n = 0;

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS; i++) {
        n = ngx_http_oauth2_client_status_add(n, rec->latency[i]);

        ngx_http_oauth2_client_status_str(out, i == 0 ? "{\"le\":\""
                                                      : ",{\"le\":\"");
        ngx_http_oauth2_client_status_str(out,
                                          ngx_http_oauth2_client_status_le[i]);
        ngx_http_oauth2_client_status_str(out, "\",\"count\":");
        ngx_http_oauth2_client_status_uint(out, n > INT64_MAX ? INT64_MAX : n);
        ngx_http_oauth2_client_status_mem(out, "}", 1);
    }

    ngx_http_oauth2_client_status_str(out, "],\"sum\":");
    ngx_http_oauth2_client_status_seconds(out, rec->latency_ms);
    ngx_http_oauth2_client_status_json_uint(out, "count",
                                    ngx_http_oauth2_client_status_count(rec));
    ngx_http_oauth2_client_status_mem(out, "}", 1);
}


/* Prometheus */

size_t
ngx_http_oauth2_client_status_prometheus(
    const ngx_http_oauth2_client_status_snapshot_t *s, char *buf,
    size_t size)
{
    size_t                                         z;
    ngx_http_oauth2_client_status_out_t            out;
    ngx_http_oauth2_client_status_prom_t           p;
    const ngx_http_oauth2_client_status_family_t  *f;

    out.buf = buf;
    out.size = size;
    out.len = 0;

    p.out = &out;
    p.s = s;

    ngx_http_oauth2_client_status_prom_zone(&p);

    for (f = ngx_http_oauth2_client_status_families; f->name != NULL; f++) {
        p.name = f->name;
        p.type = f->type;
        p.help = f->help;
        p.begun = 0;

        for (z = 0; z < s->nclients; z++) {
            f->emit(&p, &s->clients[z]);
        }
    }

    return out.len;
}


/*
 * A label value: backslash, quote and newline escaped as the format
 * wants; other bytes outside 0x20..0x7e, which it has no escape for and
 * which would not be UTF-8, become '?'
 */

static void
ngx_http_oauth2_client_status_prom_escaped(
    ngx_http_oauth2_client_status_out_t *out, const char *s, size_t max)
{
    size_t         i, n, start;
    unsigned char  c;

    start = 0;

    n = strnlen(s, max);

    for (i = 0; i < n; i++) {
        c = (unsigned char) s[i];

        if (ngx_http_oauth2_client_status_plain[c >> 5] & (1U << (c & 0x1f))) {
            continue;
        }

        ngx_http_oauth2_client_status_mem(out, s + start, i - start);
        start = i + 1;

        if (c == '"') {
            ngx_http_oauth2_client_status_mem(out, "\\\"", 2);

        } else if (c == '\\') {
            ngx_http_oauth2_client_status_mem(out, "\\\\", 2);

        } else if (c == '\n') {
            ngx_http_oauth2_client_status_mem(out, "\\n", 2);

        } else {
            ngx_http_oauth2_client_status_mem(out, "?", 1);
        }
    }

    ngx_http_oauth2_client_status_mem(out, s + start, i - start);
}


/*
 * The start of a sample: HELP and TYPE before the first sample of a
 * family, then name{zone="..." or name{client="...",zone="..."
 */

static void
ngx_http_oauth2_client_status_prom_sample(
    ngx_http_oauth2_client_status_prom_t *p, const char *suffix,
    const ngx_http_oauth2_client_status_client_t *c)
{
    ngx_http_oauth2_client_status_out_t  *out;

    out = p->out;

    if (!p->begun) {
        p->begun = 1;

        ngx_http_oauth2_client_status_str(out, "# HELP ");
        ngx_http_oauth2_client_status_str(out, p->name);
        ngx_http_oauth2_client_status_mem(out, " ", 1);
        ngx_http_oauth2_client_status_str(out, p->help);
        ngx_http_oauth2_client_status_str(out, "\n# TYPE ");
        ngx_http_oauth2_client_status_str(out, p->name);
        ngx_http_oauth2_client_status_mem(out, " ", 1);
        ngx_http_oauth2_client_status_str(out, p->type);
        ngx_http_oauth2_client_status_mem(out, "\n", 1);
    }

    ngx_http_oauth2_client_status_str(out, p->name);
    ngx_http_oauth2_client_status_str(out, suffix);
    ngx_http_oauth2_client_status_mem(out, "{", 1);

    if (c != NULL) {
        ngx_http_oauth2_client_status_str(out, "client=\"");
        ngx_http_oauth2_client_status_prom_escaped(out, c->name,
                                                   sizeof(c->name));
        ngx_http_oauth2_client_status_str(out, "\",");
    }

    ngx_http_oauth2_client_status_str(out, "zone=\"");
    ngx_http_oauth2_client_status_prom_escaped(out, p->s->zone.name,
                                               sizeof(p->s->zone.name));
    ngx_http_oauth2_client_status_mem(out, "\"", 1);
}


static void
ngx_http_oauth2_client_status_prom_label(
    ngx_http_oauth2_client_status_prom_t *p, const char *name,
    const char *value, size_t max)
{
    ngx_http_oauth2_client_status_mem(p->out, ",", 1);
    ngx_http_oauth2_client_status_str(p->out, name);
    ngx_http_oauth2_client_status_mem(p->out, "=\"", 2);
    ngx_http_oauth2_client_status_prom_escaped(p->out, value, max);
    ngx_http_oauth2_client_status_mem(p->out, "\"", 1);
}


static void
ngx_http_oauth2_client_status_prom_uint(
    ngx_http_oauth2_client_status_prom_t *p, uint64_t v)
{
    ngx_http_oauth2_client_status_mem(p->out, "} ", 2);
    ngx_http_oauth2_client_status_uint(p->out, v);
    ngx_http_oauth2_client_status_mem(p->out, "\n", 1);
}


static void
ngx_http_oauth2_client_status_prom_int(
    ngx_http_oauth2_client_status_prom_t *p, int64_t v)
{
    ngx_http_oauth2_client_status_mem(p->out, "} ", 2);
    ngx_http_oauth2_client_status_int(p->out, v);
    ngx_http_oauth2_client_status_mem(p->out, "\n", 1);
}


/* the families of the module and of the zone: one sample each */

static void
ngx_http_oauth2_client_status_prom_zone(
    ngx_http_oauth2_client_status_prom_t *p)
{
    unsigned                                     i;
    uint64_t                                     values[6];
    const ngx_http_oauth2_client_status_zone_t  *zone;

    static const struct {
        const char  *name;
        const char  *type;
        const char  *help;
    } families[] = {
        { "oauth2_client_info", "gauge",
          "The version of the module, always 1." },
        { "oauth2_client_zone_size_bytes", "gauge",
          "Size of the shared memory zone." },
        { "oauth2_client_zone_used_bytes", "gauge",
          "Bytes of the zone in use." },
        { "oauth2_client_zone_free_bytes", "gauge",
          "Bytes of the zone free." },
        { "oauth2_client_zone_entries", "gauge",
          "Clients with an entry in the zone." },
        { "oauth2_client_zone_evictions_total", "counter",
          "Entries the zone dropped to make room." }
    };

    zone = &p->s->zone;

    values[0] = 1;
    values[1] = zone->size;
    values[2] = zone->used;
    values[3] = zone->free;
    values[4] = zone->entries;
    values[5] = zone->evictions;

    for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        p->name = families[i].name;
        p->type = families[i].type;
        p->help = families[i].help;
        p->begun = 0;

        ngx_http_oauth2_client_status_prom_sample(p, "", NULL);

        if (i == 0) {
            ngx_http_oauth2_client_status_prom_label(p, "version",
                                                     p->s->version,
                                                     sizeof(p->s->version));
        }

        ngx_http_oauth2_client_status_prom_uint(p, values[i]);
    }
}


/* a state set: one sample per state, 1 for the current one */

static void
ngx_http_oauth2_client_status_emit_state(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    unsigned  i;

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_N; i++) {
        ngx_http_oauth2_client_status_prom_sample(p, "", c);
        ngx_http_oauth2_client_status_prom_label(p, "state",
                                  ngx_http_oauth2_client_status_state_name(i),
                                  (size_t) -1);
        ngx_http_oauth2_client_status_prom_uint(p, c->state == i);
    }
}


static void
ngx_http_oauth2_client_status_emit_cached(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    ngx_http_oauth2_client_status_prom_sample(p, "", c);
    ngx_http_oauth2_client_status_prom_uint(p, c->token_cached);
}


/*
 * The fingerprint stays out of Prometheus: a label that changes with
 * every token makes a new series each time.
 */

static void
ngx_http_oauth2_client_status_emit_token_info(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    if (!c->token_cached
        || c->token_type >= NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_N)
    {
        return;
    }

    ngx_http_oauth2_client_status_prom_sample(p, "", c);
    ngx_http_oauth2_client_status_prom_label(p, "type",
                           ngx_http_oauth2_client_status_tokens[c->token_type],
                           (size_t) -1);
    ngx_http_oauth2_client_status_prom_uint(p, 1);
}


static void
ngx_http_oauth2_client_status_emit_expires(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    if (c->has_expires_in) {
        ngx_http_oauth2_client_status_prom_sample(p, "", c);
        ngx_http_oauth2_client_status_prom_int(p, c->expires_in);
    }
}


static void
ngx_http_oauth2_client_status_emit_refresh(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    if (c->has_refresh_in) {
        ngx_http_oauth2_client_status_prom_sample(p, "", c);
        ngx_http_oauth2_client_status_prom_int(p, c->refresh_in);
    }
}


static void
ngx_http_oauth2_client_status_emit_next(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    if (c->has_next_attempt_in) {
        ngx_http_oauth2_client_status_prom_sample(p, "", c);
        ngx_http_oauth2_client_status_prom_int(p, c->next_attempt_in);
    }
}


/* the pid is in the JSON only: as a value it means nothing to a graph */

static void
ngx_http_oauth2_client_status_emit_in_flight(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    ngx_http_oauth2_client_status_prom_sample(p, "", c);
    ngx_http_oauth2_client_status_prom_uint(p, c->fetching);
}


static void
ngx_http_oauth2_client_status_emit_failures(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    ngx_http_oauth2_client_status_prom_sample(p, "", c);
    ngx_http_oauth2_client_status_prom_uint(p, c->record.failures);
}


static void
ngx_http_oauth2_client_status_emit_success_time(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    if (c->record.last_success != 0) {
        ngx_http_oauth2_client_status_prom_sample(p, "", c);
        ngx_http_oauth2_client_status_prom_int(p, c->record.last_success);
    }
}


static void
ngx_http_oauth2_client_status_emit_failure_time(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    if (c->record.last_failure != 0) {
        ngx_http_oauth2_client_status_prom_sample(p, "", c);
        ngx_http_oauth2_client_status_prom_int(p, c->record.last_failure);
    }
}


/*
 * The description stays out of Prometheus: free text makes a series of
 * each message; the JSON has it.  The status and error labels are left
 * out when there is none.
 */

static void
ngx_http_oauth2_client_status_emit_failure_info(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    char                                           digits[4];
    uint32_t                                       status;
    const ngx_http_oauth2_client_status_record_t  *rec;

    rec = &c->record;

    if (rec->last_failure == 0
        || rec->last_class >= NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_N)
    {
        return;
    }

    ngx_http_oauth2_client_status_prom_sample(p, "", c);
    ngx_http_oauth2_client_status_prom_label(p, "class",
                     ngx_http_oauth2_client_status_class_name(rec->last_class),
                     (size_t) -1);

    /* an HTTP status has three digits; anything else is no status */

    status = rec->last_status;

    if (status >= 100 && status <= 999) {
        digits[0] = (char) ('0' + status / 100);
        digits[1] = (char) ('0' + status / 10 % 10);
        digits[2] = (char) ('0' + status % 10);
        digits[3] = '\0';

        ngx_http_oauth2_client_status_prom_label(p, "status", digits,
                                                 sizeof(digits));
    }

    if (rec->last_error[0] != '\0') {
        ngx_http_oauth2_client_status_prom_label(p, "error", rec->last_error,
                                       NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_LEN);
    }

    ngx_http_oauth2_client_status_prom_uint(p, 1);
}


static void
ngx_http_oauth2_client_status_emit_requests(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    unsigned     i;
    const char  *error;

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_N; i++) {
        error = ngx_http_oauth2_client_status_outcomes[i].error;

        ngx_http_oauth2_client_status_prom_sample(p, "", c);
        ngx_http_oauth2_client_status_prom_label(p, "outcome",
                 ngx_http_oauth2_client_status_classes[
                     ngx_http_oauth2_client_status_outcomes[i].class],
                 (size_t) -1);

        if (error != NULL) {
            ngx_http_oauth2_client_status_prom_label(p, "error", error,
                                                     (size_t) -1);
        }

        ngx_http_oauth2_client_status_prom_uint(p, c->record.requests[i]);
    }
}


static void
ngx_http_oauth2_client_status_emit_served(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    unsigned  i;

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N; i++) {
        ngx_http_oauth2_client_status_prom_sample(p, "", c);
        ngx_http_oauth2_client_status_prom_label(p, "token_status",
                                 ngx_http_oauth2_client_status_served_name(i),
                                 (size_t) -1);
        ngx_http_oauth2_client_status_prom_uint(p, c->record.served[i]);
    }
}


static void
ngx_http_oauth2_client_status_emit_takeovers(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    ngx_http_oauth2_client_status_prom_sample(p, "", c);
    ngx_http_oauth2_client_status_prom_uint(p, c->record.takeovers);
}


static void
ngx_http_oauth2_client_status_emit_purges(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    ngx_http_oauth2_client_status_prom_sample(p, "", c);
    ngx_http_oauth2_client_status_prom_uint(p, c->record.purges);
}


static void
ngx_http_oauth2_client_status_emit_latency(
    ngx_http_oauth2_client_status_prom_t *p,
    const ngx_http_oauth2_client_status_client_t *c)
{
    unsigned  i;
    uint64_t  n;

    n = 0;

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS; i++) {
        n = ngx_http_oauth2_client_status_add(n, c->record.latency[i]);

        ngx_http_oauth2_client_status_prom_sample(p, "_bucket", c);
        ngx_http_oauth2_client_status_prom_label(p, "le",
                                           ngx_http_oauth2_client_status_le[i],
                                           (size_t) -1);
        ngx_http_oauth2_client_status_prom_uint(p, n);
    }

    ngx_http_oauth2_client_status_prom_sample(p, "_sum", c);
    ngx_http_oauth2_client_status_mem(p->out, "} ", 2);
    ngx_http_oauth2_client_status_seconds(p->out, c->record.latency_ms);
    ngx_http_oauth2_client_status_mem(p->out, "\n", 1);

    ngx_http_oauth2_client_status_prom_sample(p, "_count", c);
    ngx_http_oauth2_client_status_prom_uint(p, n);
}
