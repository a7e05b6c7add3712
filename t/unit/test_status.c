
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Unit tests of the status core (src/ngx_http_oauth2_client_status.c):
 * the record the zone keeps, and the JSON and Prometheus outputs of a
 * few snapshots, field by field.  The JSON is read back with jansson
 * (duplicate keys refused) and checked against the schema of
 * docs/status.md; the Prometheus text by the strict reader of
 * prom_check.c.  With a directory argument, each snapshot's outputs are
 * also written there (NAME.json, NAME.prom) for promtool (see
 * t/unit/status-check.sh).  Prints "N passed, N failed" at the end.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ngx_http_oauth2_client_status.h"
#include "prom_check.h"
#include "test_util.h"


#define T_STR   0x01
#define T_INT   0x02
#define T_NULL  0x04
#define T_BOOL  0x08
#define T_OBJ   0x10
#define T_ARR   0x20
#define T_REAL  0x40

/* the length of a string from the JSON, -1 when it is not one */
#define STATUS_LEN(s)  ((s) != NULL ? (long) strlen(s) : -1L)


typedef struct {
    const char  *key;
    int          types;
} status_key_t;


static void status_init(ngx_http_oauth2_client_status_snapshot_t *s,
    ngx_http_oauth2_client_status_client_t *c, size_t n);
static void status_result(ngx_http_oauth2_client_status_record_t *rec,
    unsigned class, unsigned status, const char *error,
    const char *description, uint64_t ms, int64_t now);
static char *status_json(const ngx_http_oauth2_client_status_snapshot_t *s,
    size_t *len);
static char *status_prom(const ngx_http_oauth2_client_status_snapshot_t *s,
    size_t *len);
static json_t *status_output(const char *name,
    const ngx_http_oauth2_client_status_snapshot_t *s, char **prom);
static void status_write(const char *name, const char *ext,
    const char *data, size_t len);
static int status_types(json_t *j, int types);
static void status_keys(json_t *obj, const status_key_t *keys,
    const char *what);
static void status_schema(json_t *root);
static json_t *status_at(json_t *j, ...);
static long long status_int(json_t *j, ...);
static const char *status_str(json_t *j, ...);
static int status_null(json_t *j, ...);
static int status_line(const char *text, const char *line);
static int status_count(const char *text, const char *needle);
static int status_samples(const char *text);

static void test_status_record(void);
static void test_status_empty(void);
static void test_status_never(void);
static void test_status_valid(void);
static void test_status_backoff(void);
static void test_status_hostile(void);
static void test_status_limits(void);
static void test_status_buffers(void);
static void test_status_checker(void);


static const char  *status_dir;


static const status_key_t  status_root_keys[] = {
    { "version", T_STR },
    { "time", T_INT },
    { "zone", T_OBJ },
    { "clients", T_OBJ },
    { NULL, 0 }
};

static const status_key_t  status_zone_keys[] = {
    { "name", T_STR },
    { "size", T_INT },
    { "used", T_INT },
    { "free", T_INT },
    { "entries", T_INT },
    { "evictions", T_INT },
    { NULL, 0 }
};

static const status_key_t  status_client_keys[] = {
    { "name", T_STR },
    { "state", T_STR },
    { "token", T_OBJ },
    { "in_flight", T_BOOL },
    { "pid", T_INT | T_NULL },
    { "next_attempt_in", T_INT | T_NULL },
    { "consecutive_failures", T_INT },
    { "last_success", T_INT | T_NULL },
    { "last_failure", T_OBJ },
    { "token_requests", T_OBJ },
    { "requests", T_OBJ },
    { "takeovers", T_INT },
    { "purges", T_INT },
    { "token_request_duration", T_OBJ },
    { NULL, 0 }
};

static const status_key_t  status_token_keys[] = {
    { "cached", T_BOOL },
    { "type", T_STR | T_NULL },
    { "fingerprint", T_STR | T_NULL },
    { "expires_in", T_INT | T_NULL },
    { "refresh_in", T_INT | T_NULL },
    { NULL, 0 }
};

static const status_key_t  status_failure_keys[] = {
    { "time", T_INT | T_NULL },
    { "class", T_STR | T_NULL },
    { "status", T_INT | T_NULL },
    { "error", T_STR | T_NULL },
    { "error_description", T_STR | T_NULL },
    { NULL, 0 }
};

static const status_key_t  status_requests_keys[] = {
    { "ok", T_INT },
    { "http_4xx", T_OBJ },
    { "http_429", T_INT },
    { "http_5xx", T_INT },
    { "timeout", T_INT },
    { "connect", T_INT },
    { "invalid", T_INT },
    { "too_large", T_INT },
    { "internal", T_INT },
    { NULL, 0 }
};

static const status_key_t  status_4xx_keys[] = {
    { "invalid_client", T_INT },
    { "invalid_scope", T_INT },
    { "invalid_request", T_INT },
    { "unauthorized_client", T_INT },
    { "unsupported_grant_type", T_INT },
    { "invalid_dpop_proof", T_INT },
    { "use_dpop_nonce", T_INT },
    { "other", T_INT },
    { NULL, 0 }
};

static const status_key_t  status_served_keys[] = {
    { "HIT", T_INT },
    { "MISS", T_INT },
    { "REFRESH", T_INT },
    { "STALE", T_INT },
    { "WAIT", T_INT },
    { "BACKOFF", T_INT },
    { "ERROR", T_INT },
    { "DPOP", T_INT },
    { NULL, 0 }
};

static const status_key_t  status_histogram_keys[] = {
    { "buckets", T_ARR },
    { "sum", T_REAL | T_INT },
    { "count", T_INT },
    { NULL, 0 }
};

static const status_key_t  status_bucket_keys[] = {
    { "le", T_STR },
    { "count", T_INT },
    { NULL, 0 }
};

static const char  *status_le[] = {
    "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"
};

static const char  *status_states[] = {
    "no_token", "valid", "refreshing", "backoff"
};

static const char  *status_classes[] = {
    "ok", "http_4xx", "http_429", "http_5xx", "timeout", "connect",
    "invalid", "too_large", "internal"
};


static void
status_init(ngx_http_oauth2_client_status_snapshot_t *s,
    ngx_http_oauth2_client_status_client_t *c, size_t n)
{
    memset(s, 0, sizeof(*s));

    if (n != 0) {
        memset(c, 0, n * sizeof(*c));
    }

    strcpy(s->version, "0.3.0");
    s->now = 1700000000;
    strcpy(s->zone.name, "oauth2_client");
    s->zone.size = 1048576;
    s->zone.used = 40960;
    s->zone.free = 1007616;
    s->zone.entries = n;
    s->zone.evictions = 0;
    s->nclients = n;
    s->clients = c;
}


static void
status_result(ngx_http_oauth2_client_status_record_t *rec, unsigned class,
    unsigned status, const char *error, const char *description,
    uint64_t ms, int64_t now)
{
    ngx_http_oauth2_client_status_result_t  res;

    res.class = class;
    res.status = status;
    res.error = error;
    res.description = description;
    res.latency_ms = ms;
    res.now = now;

    ngx_http_oauth2_client_status_record_result(rec, &res);
}


/*
 * The two passes: the length with no buffer, then the output into a
 * buffer of exactly that length with a guard byte after it; both agree
 * and nothing is written past the size.  malloc()ed, NUL-terminated.
 */

static char *
status_json(const ngx_http_oauth2_client_status_snapshot_t *s, size_t *len)
{
    char    *buf;
    size_t   n, m;

    n = ngx_http_oauth2_client_status_json(s, NULL, 0);

    buf = malloc(n + 2);
    if (buf == NULL) {
        CHECK(buf != NULL);
        return NULL;
    }

    buf[n] = 'X';
    buf[n + 1] = '\0';

    m = ngx_http_oauth2_client_status_json(s, buf, n);

    CHECK(m == n);
    CHECK(buf[n] == 'X');
    CHECK(memchr(buf, '\0', n) == NULL);

    buf[n] = '\0';
    *len = n;

    return buf;
}


static char *
status_prom(const ngx_http_oauth2_client_status_snapshot_t *s, size_t *len)
{
    char    *buf;
    size_t   n, m;

    n = ngx_http_oauth2_client_status_prometheus(s, NULL, 0);

    buf = malloc(n + 2);
    if (buf == NULL) {
        CHECK(buf != NULL);
        return NULL;
    }

    buf[n] = 'X';
    buf[n + 1] = '\0';

    m = ngx_http_oauth2_client_status_prometheus(s, buf, n);

    CHECK(m == n);
    CHECK(buf[n] == 'X');
    CHECK(memchr(buf, '\0', n) == NULL);

    buf[n] = '\0';
    *len = n;

    return buf;
}


/*
 * Both outputs of a snapshot: the JSON parsed (duplicate keys refused)
 * and checked against the schema, the Prometheus text checked by the
 * strict reader; both written to status_dir.  Returns the JSON (NULL if
 * it did not parse), *prom the Prometheus text.
 */

static json_t *
status_output(const char *name,
    const ngx_http_oauth2_client_status_snapshot_t *s, char **prom)
{
    char          *text, err[256];
    long           samples;
    size_t         len;
    json_t        *root;
    json_error_t   jerr;

    root = NULL;
    text = status_json(s, &len);

    if (text != NULL) {
        status_write(name, "json", text, len);

        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

        if (root == NULL) {
            printf("FAILED %s: JSON: %s at %d: %s\n", name, jerr.text,
                   jerr.position, text);
        }

        CHECK(root != NULL);
        CHECK(len > 0 && text[len - 1] == '\n');
        free(text);
    }

    if (root != NULL) {
        status_schema(root);
    }

    *prom = status_prom(s, &len);

    if (*prom != NULL) {
        status_write(name, "prom", *prom, len);

        samples = ngx_http_oauth2_client_prom_check(*prom, len, err,
                                                    sizeof(err));
        if (samples < 0) {
            printf("FAILED %s: Prometheus: %s\n", name, err);
        }

        CHECK(samples > 0);
    }

    return root;
}


static void
status_write(const char *name, const char *ext, const char *data,
    size_t len)
{
    char   path[1024];
    FILE  *f;

    if (status_dir == NULL) {
        return;
    }

    snprintf(path, sizeof(path), "%s/%s.%s", status_dir, name, ext);

    f = fopen(path, "w");
    CHECK(f != NULL);

    if (f != NULL) {
        CHECK(fwrite(data, 1, len, f) == len);
        CHECK(fclose(f) == 0);
    }
}


static int
status_types(json_t *j, int types)
{
    return ((types & T_STR) && json_is_string(j))
           || ((types & T_INT) && json_is_integer(j))
           || ((types & T_NULL) && json_is_null(j))
           || ((types & T_BOOL) && json_is_boolean(j))
           || ((types & T_OBJ) && json_is_object(j))
           || ((types & T_ARR) && json_is_array(j))
           || ((types & T_REAL) && json_is_real(j));
}


/* exactly these keys, each of its types */

static void
status_keys(json_t *obj, const status_key_t *keys, const char *what)
{
    size_t   n;
    json_t  *v;

    if (!json_is_object(obj)) {
        printf("FAILED schema: %s is not an object\n", what);
        CHECK(json_is_object(obj));
        return;
    }

    for (n = 0; keys[n].key != NULL; n++) {
        v = json_object_get(obj, keys[n].key);

        if (v == NULL || !status_types(v, keys[n].types)) {
            printf("FAILED schema: %s.%s %s\n", what, keys[n].key,
                   v == NULL ? "missing" : "of a wrong type");
        }

        CHECK(v != NULL && status_types(v, keys[n].types));
    }

    if (json_object_size(obj) != n) {
        printf("FAILED schema: %s has %zu keys, not %zu\n", what,
               json_object_size(obj), n);
    }

    CHECK(json_object_size(obj) == n);
}


/* the schema of docs/status.md */

static void
status_schema(json_t *root)
{
    int          known;
    size_t       i, k;
    json_t      *client, *buckets, *b, *v;
    long long    last;
    const char  *name, *s;

    status_keys(root, status_root_keys, "status");
    status_keys(json_object_get(root, "zone"), status_zone_keys, "zone");

    json_object_foreach(json_object_get(root, "clients"), name, client) {
        status_keys(client, status_client_keys, "client");
        status_keys(json_object_get(client, "token"), status_token_keys,
                    "token");
        status_keys(json_object_get(client, "last_failure"),
                    status_failure_keys, "last_failure");
        status_keys(json_object_get(client, "token_requests"),
                    status_requests_keys, "token_requests");
        status_keys(json_object_get(json_object_get(client, "token_requests"),
                                    "http_4xx"),
                    status_4xx_keys, "token_requests.http_4xx");
        status_keys(json_object_get(client, "requests"), status_served_keys,
                    "requests");
        status_keys(json_object_get(client, "token_request_duration"),
                    status_histogram_keys, "token_request_duration");

        /* the key is the name */

        v = json_object_get(client, "name");
        CHECK(json_is_string(v) && strcmp(json_string_value(v), name) == 0);

        s = status_str(client, "state", NULL);
        known = 0;

        for (k = 0; s != NULL && k < 4; k++) {
            known |= strcmp(s, status_states[k]) == 0;
        }

        CHECK(known || (s != NULL && strcmp(s, "unknown") == 0));

        s = status_str(client, "last_failure", "class", NULL);
        known = (s == NULL);

        for (k = 1; s != NULL && k < 9; k++) {
            known |= strcmp(s, status_classes[k]) == 0;
        }

        CHECK(known || strcmp(s, "unknown") == 0);

        /* the buckets: Prometheus' le, cumulative, the last one the count */

        buckets = status_at(client, "token_request_duration", "buckets", NULL);
        CHECK(json_array_size(buckets) == 9);

        last = 0;

        json_array_foreach(buckets, i, b) {
            status_keys(b, status_bucket_keys, "bucket");

            if (i < 9) {
                CHECK_STR(status_str(b, "le", NULL), status_le[i]);
            }

            CHECK(status_int(b, "count", NULL) >= last);
            last = status_int(b, "count", NULL);
        }

        CHECK(last == status_int(client, "token_request_duration", "count",
                                 NULL));
    }
}


static json_t *
status_at(json_t *j, ...)
{
    va_list      args;
    const char  *key;

    va_start(args, j);

    while (j != NULL && (key = va_arg(args, const char *)) != NULL) {
        j = json_object_get(j, key);
    }

    va_end(args);

    return j;
}


static long long
status_int(json_t *j, ...)
{
    va_list      args;
    const char  *key;

    va_start(args, j);

    while (j != NULL && (key = va_arg(args, const char *)) != NULL) {
        j = json_object_get(j, key);
    }

    va_end(args);

    return json_is_integer(j) ? (long long) json_integer_value(j) : -12345;
}


static const char *
status_str(json_t *j, ...)
{
    va_list      args;
    const char  *key;

    va_start(args, j);

    while (j != NULL && (key = va_arg(args, const char *)) != NULL) {
        j = json_object_get(j, key);
    }

    va_end(args);

    return json_is_string(j) ? json_string_value(j) : NULL;
}


static int
status_null(json_t *j, ...)
{
    va_list      args;
    const char  *key;

    va_start(args, j);

    while (j != NULL && (key = va_arg(args, const char *)) != NULL) {
        j = json_object_get(j, key);
    }

    va_end(args);

    return json_is_null(j);
}


/* 1 if text has exactly this line */

static int
status_line(const char *text, const char *line)
{
    size_t       n;
    const char  *p;

    n = strlen(line);

    for (p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[n] == '\n') {
            return 1;
        }
    }

    printf("no line \"%s\"\n", line);

    return 0;
}


static int
status_count(const char *text, const char *needle)
{
    int          n;
    const char  *p;

    n = 0;

    for (p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle)) {
        n++;
    }

    return n;
}


/* lines that are not HELP or TYPE */

static int
status_samples(const char *text)
{
    int          n;
    const char  *p;

    n = 0;

    for (p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
        n += (*p != '#');
    }

    return n;
}


static void
test_status_record(void)
{
    unsigned                                i;
    ngx_http_oauth2_client_status_record_t  rec;

    static const char  *errors[] = {
        "invalid_client", "invalid_scope", "invalid_request",
        "unauthorized_client", "unsupported_grant_type",
        "invalid_dpop_proof", "use_dpop_nonce"
    };

    /* outcomes */

    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK, "invalid_client")
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_OK);

    for (i = 0; i < 7; i++) {
        CHECK(ngx_http_oauth2_client_status_outcome(
                  NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, errors[i])
              == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_CLIENT + i);
    }

    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "invalid_grant")
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_4XX_OTHER);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "other")
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_4XX_OTHER);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "Invalid_Client")
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_4XX_OTHER);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, NULL)
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_4XX_OTHER);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, "")
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_4XX_OTHER);

    /* an OAuth error in a 429 or a 5xx does not make it a 4xx */

    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_429, "invalid_client")
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_429);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_5XX, "server_error")
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_5XX);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TIMEOUT, NULL)
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_TIMEOUT);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_CONNECT, NULL)
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_CONNECT);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INVALID, NULL)
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TOO_LARGE, NULL)
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_TOO_LARGE);
    CHECK(ngx_http_oauth2_client_status_outcome(
              NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INTERNAL, NULL)
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INTERNAL);
    CHECK(ngx_http_oauth2_client_status_outcome(99, NULL)
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INTERNAL);

    /* buckets: "le", a bound belongs to its own bucket */

    CHECK(ngx_http_oauth2_client_status_bucket(0) == 0);
    CHECK(ngx_http_oauth2_client_status_bucket(50) == 0);
    CHECK(ngx_http_oauth2_client_status_bucket(51) == 1);
    CHECK(ngx_http_oauth2_client_status_bucket(100) == 1);
    CHECK(ngx_http_oauth2_client_status_bucket(250) == 2);
    CHECK(ngx_http_oauth2_client_status_bucket(999) == 4);
    CHECK(ngx_http_oauth2_client_status_bucket(1000) == 4);
    CHECK(ngx_http_oauth2_client_status_bucket(2500) == 5);
    CHECK(ngx_http_oauth2_client_status_bucket(5000) == 6);
    CHECK(ngx_http_oauth2_client_status_bucket(10000) == 7);
    CHECK(ngx_http_oauth2_client_status_bucket(10001) == 8);
    CHECK(ngx_http_oauth2_client_status_bucket(UINT64_MAX) == 8);
    CHECK(ngx_http_oauth2_client_status_bound(0) == 50);
    CHECK(ngx_http_oauth2_client_status_bound(7) == 10000);
    CHECK(ngx_http_oauth2_client_status_bound(8) == UINT64_MAX);
    CHECK(ngx_http_oauth2_client_status_bound(9) == UINT64_MAX);

    /* names */

    CHECK_STR(ngx_http_oauth2_client_status_state_name(
                  NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_REFRESHING),
              "refreshing");
    CHECK(ngx_http_oauth2_client_status_state_name(4) == NULL);
    CHECK_STR(ngx_http_oauth2_client_status_class_name(
                  NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TOO_LARGE),
              "too_large");
    CHECK(ngx_http_oauth2_client_status_class_name(9) == NULL);
    CHECK_STR(ngx_http_oauth2_client_status_served_name(
                  NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_BACKOFF),
              "BACKOFF");
    CHECK_STR(ngx_http_oauth2_client_status_served_name(
                  NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_DPOP),
              "DPOP");
    CHECK(ngx_http_oauth2_client_status_served_name(8) == NULL);

    /* a success, two failures, a success: the failures start again */

    memset(&rec, 0, sizeof(rec));

    status_result(&rec, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK, 200, NULL,
                  NULL, 40, 1000);

    CHECK(rec.requests[NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_OK] == 1);
    CHECK(rec.last_success == 1000);
    CHECK(rec.last_failure == 0);
    CHECK(rec.failures == 0);
    CHECK(rec.latency[0] == 1);
    CHECK(rec.latency_ms == 40);

    status_result(&rec, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX, 401,
                  "invalid_client", "The client secret supplied is wrong.",
                  300, 1010);
    status_result(&rec, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_5XX, 503,
                  NULL, NULL, 20000, 1020);

    CHECK(rec.requests[NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_CLIENT]
          == 1);
    CHECK(rec.requests[NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_HTTP_5XX] == 1);
    CHECK(rec.failures == 2);
    CHECK(rec.last_failure == 1020);
    CHECK(rec.last_class == NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_5XX);
    CHECK(rec.last_status == 503);

    /* the last failure's text is its own: no error of an earlier one */

    CHECK_STR(rec.last_error, "");
    CHECK_STR(rec.last_description, "");
    CHECK(rec.latency[3] == 1);
    CHECK(rec.latency[8] == 1);
    CHECK(rec.latency_ms == 20340);

    status_result(&rec, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK, 200, NULL,
                  NULL, 60, 1030);

    CHECK(rec.failures == 0);
    CHECK(rec.last_success == 1030);
    CHECK(rec.last_failure == 1020);
    CHECK(rec.last_status == 503);
    CHECK(rec.requests[NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_OK] == 2);

    /* a class out of range counts as internal */

    status_result(&rec, 42, 0, NULL, NULL, 1, 1040);

    CHECK(rec.requests[NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INTERNAL] == 1);
    CHECK(rec.last_class == NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INTERNAL);

    /* served */

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N; i++) {
        ngx_http_oauth2_client_status_record_served(&rec, i);
    }

    ngx_http_oauth2_client_status_record_served(&rec,
                                       NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N);
    ngx_http_oauth2_client_status_record_served(&rec, 1000);

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N; i++) {
        CHECK(rec.served[i] == 1);
    }

    /* the latency sum saturates */

    rec.latency_ms = UINT64_MAX - 5;
    status_result(&rec, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK, 200, NULL,
                  NULL, 10, 1050);
    CHECK(rec.latency_ms == UINT64_MAX);
}


static void
test_status_empty(void)
{
    char                                      *prom;
    json_t                                    *j;
    ngx_http_oauth2_client_status_snapshot_t   s;

    status_init(&s, NULL, 0);

    j = status_output("empty", &s, &prom);

    CHECK_STR(status_str(j, "version", NULL), "0.3.0");
    CHECK(status_int(j, "time", NULL) == 1700000000);
    CHECK_STR(status_str(j, "zone", "name", NULL), "oauth2_client");
    CHECK(status_int(j, "zone", "size", NULL) == 1048576);
    CHECK(status_int(j, "zone", "used", NULL) == 40960);
    CHECK(status_int(j, "zone", "free", NULL) == 1007616);
    CHECK(status_int(j, "zone", "entries", NULL) == 0);
    CHECK(status_int(j, "zone", "evictions", NULL) == 0);
    CHECK(json_object_size(status_at(j, "clients", NULL)) == 0);

    /* the module and zone families only */

    if (prom != NULL) {
        CHECK(status_count(prom, "# HELP ") == 6);
        CHECK(status_count(prom, "# TYPE ") == 6);
        CHECK(status_line(prom,
                  "oauth2_client_info{zone=\"oauth2_client\","
                  "version=\"0.3.0\"} 1"));
        CHECK(status_line(prom,
                  "# TYPE oauth2_client_zone_size_bytes gauge"));
        CHECK(status_line(prom,
                  "oauth2_client_zone_size_bytes{zone=\"oauth2_client\"} "
                  "1048576"));
        CHECK(status_line(prom,
                  "oauth2_client_zone_used_bytes{zone=\"oauth2_client\"} "
                  "40960"));
        CHECK(status_line(prom,
                  "oauth2_client_zone_free_bytes{zone=\"oauth2_client\"} "
                  "1007616"));
        CHECK(status_line(prom,
                  "oauth2_client_zone_entries{zone=\"oauth2_client\"} 0"));
        CHECK(status_line(prom,
                  "# TYPE oauth2_client_zone_evictions_total counter"));
        CHECK(status_line(prom,
                  "oauth2_client_zone_evictions_total"
                  "{zone=\"oauth2_client\"} 0"));
        CHECK(strstr(prom, "client=") == NULL);
    }

    free(prom);
    json_decref(j);
}


/* a client of the configuration the zone has no entry of yet */

static void
test_status_never(void)
{
    char                                      *prom;
    json_t                                    *j, *c;
    unsigned                                   i;
    ngx_http_oauth2_client_status_client_t     cl;
    ngx_http_oauth2_client_status_snapshot_t   s;

    status_init(&s, &cl, 1);
    strcpy(cl.name, "okta");

    j = status_output("never", &s, &prom);
    c = status_at(j, "clients", "okta", NULL);

    CHECK(c != NULL);
    CHECK_STR(status_str(c, "name", NULL), "okta");
    CHECK_STR(status_str(c, "state", NULL), "no_token");
    CHECK(json_is_false(status_at(c, "token", "cached", NULL)));
    CHECK(status_null(c, "token", "type", NULL));
    CHECK(status_null(c, "token", "fingerprint", NULL));
    CHECK(status_null(c, "token", "expires_in", NULL));
    CHECK(status_null(c, "token", "refresh_in", NULL));
    CHECK(json_is_false(status_at(c, "in_flight", NULL)));
    CHECK(status_null(c, "pid", NULL));
    CHECK(status_null(c, "next_attempt_in", NULL));
    CHECK(status_int(c, "consecutive_failures", NULL) == 0);
    CHECK(status_null(c, "last_success", NULL));
    CHECK(status_null(c, "last_failure", "time", NULL));
    CHECK(status_null(c, "last_failure", "class", NULL));
    CHECK(status_null(c, "last_failure", "status", NULL));
    CHECK(status_null(c, "last_failure", "error", NULL));
    CHECK(status_null(c, "last_failure", "error_description", NULL));
    CHECK(status_int(c, "token_requests", "ok", NULL) == 0);
    CHECK(status_int(c, "token_requests", "http_4xx", "other", NULL) == 0);
    CHECK(status_int(c, "token_requests", "internal", NULL) == 0);
    CHECK(status_int(c, "requests", "HIT", NULL) == 0);
    CHECK(status_int(c, "takeovers", NULL) == 0);
    CHECK(status_int(c, "purges", NULL) == 0);
    CHECK(status_int(c, "token_request_duration", "count", NULL) == 0);
    CHECK(json_is_number(status_at(c, "token_request_duration", "sum",
                                   NULL)));
    CHECK(json_number_value(status_at(c, "token_request_duration", "sum",
                                      NULL))
          == 0);

    if (prom != NULL) {
        for (i = 0; i < 4; i++) {
            CHECK(status_line(prom, i == 0
                ? "oauth2_client_state{client=\"okta\",zone=\"oauth2_client\","
                  "state=\"no_token\"} 1"
                : i == 1
                ? "oauth2_client_state{client=\"okta\",zone=\"oauth2_client\","
                  "state=\"valid\"} 0"
                : i == 2
                ? "oauth2_client_state{client=\"okta\",zone=\"oauth2_client\","
                  "state=\"refreshing\"} 0"
                : "oauth2_client_state{client=\"okta\",zone=\"oauth2_client\","
                  "state=\"backoff\"} 0"));
        }

        CHECK(status_line(prom,
                  "oauth2_client_token_cached{client=\"okta\","
                  "zone=\"oauth2_client\"} 0"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_in_flight{client=\"okta\","
                  "zone=\"oauth2_client\"} 0"));
        CHECK(status_line(prom,
                  "oauth2_client_consecutive_failures{client=\"okta\","
                  "zone=\"oauth2_client\"} 0"));
        CHECK(status_line(prom,
                  "oauth2_client_token_requests_total{client=\"okta\","
                  "zone=\"oauth2_client\",outcome=\"http_4xx\","
                  "error=\"invalid_client\"} 0"));
        CHECK(status_line(prom,
                  "oauth2_client_requests_total{client=\"okta\","
                  "zone=\"oauth2_client\",token_status=\"ERROR\"} 0"));
        CHECK(status_line(prom,
                  "oauth2_client_requests_total{client=\"okta\","
                  "zone=\"oauth2_client\",token_status=\"DPOP\"} 0"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_bucket"
                  "{client=\"okta\",zone=\"oauth2_client\",le=\"+Inf\"} 0"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_sum"
                  "{client=\"okta\",zone=\"oauth2_client\"} 0.000"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_count"
                  "{client=\"okta\",zone=\"oauth2_client\"} 0"));

        /* absent values have no sample, and their family no HELP */

        CHECK(strstr(prom, "oauth2_client_token_info") == NULL);
        CHECK(strstr(prom, "oauth2_client_token_expires_in_seconds") == NULL);
        CHECK(strstr(prom, "oauth2_client_token_refresh_in_seconds") == NULL);
        CHECK(strstr(prom, "oauth2_client_next_attempt_in_seconds") == NULL);
        CHECK(strstr(prom, "oauth2_client_last_success_timestamp") == NULL);
        CHECK(strstr(prom, "oauth2_client_last_failure") == NULL);
        CHECK(status_count(prom, "oauth2_client_token_requests_total{")
              == NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_N);
        CHECK(status_count(prom, "oauth2_client_requests_total{")
              == NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N);
        CHECK(status_count(prom,
                           "oauth2_client_token_request_duration_seconds_"
                           "bucket{")
              == NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS);
    }

    free(prom);
    json_decref(j);
}


/*
 * Two clients: "okta" with a live DPoP token, fetched three times and
 * used, and "backup" with a Bearer token being refreshed by process 4242
 */

static void
test_status_valid(void)
{
    char                                      *prom;
    json_t                                    *j, *c, *b;
    unsigned                                   i;
    ngx_http_oauth2_client_status_client_t     cl[2];
    ngx_http_oauth2_client_status_snapshot_t   s;

    static const long long  cumulative[] = { 1, 1, 2, 2, 2, 2, 3, 3, 3 };

    status_init(&s, cl, 2);

    strcpy(cl[0].name, "okta");
    cl[0].state = NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_VALID;
    cl[0].token_cached = 1;
    cl[0].token_type = NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_DPOP;
    strcpy(cl[0].fingerprint, "9f86d081");
    cl[0].has_expires_in = 1;
    cl[0].expires_in = 3500;
    cl[0].has_refresh_in = 1;
    cl[0].refresh_in = 3140;

    status_result(&cl[0].record, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK, 200,
                  NULL, NULL, 40, 1699990000);
    status_result(&cl[0].record, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK, 200,
                  NULL, NULL, 120, 1699995000);
    status_result(&cl[0].record, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK, 200,
                  NULL, NULL, 3001, 1699999900);

    for (i = 0; i < 5; i++) {
        ngx_http_oauth2_client_status_record_served(&cl[0].record,
                                    NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_HIT);
    }

    ngx_http_oauth2_client_status_record_served(&cl[0].record,
                                   NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_MISS);
    ngx_http_oauth2_client_status_record_served(&cl[0].record,
                                   NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_WAIT);

    cl[0].record.takeovers = 1;
    cl[0].record.purges = 2;

    strcpy(cl[1].name, "backup");
    cl[1].state = NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_REFRESHING;
    cl[1].token_cached = 1;
    cl[1].token_type = NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_BEARER;
    strcpy(cl[1].fingerprint, "0badc0de");
    cl[1].has_expires_in = 1;
    cl[1].expires_in = 200;
    cl[1].has_refresh_in = 1;
    cl[1].refresh_in = 0;
    cl[1].fetching = 1;
    cl[1].fetch_pid = 4242;

    j = status_output("valid", &s, &prom);
    c = status_at(j, "clients", "okta", NULL);

    CHECK(json_object_size(status_at(j, "clients", NULL)) == 2);
    CHECK_STR(status_str(c, "state", NULL), "valid");
    CHECK(json_is_true(status_at(c, "token", "cached", NULL)));
    CHECK_STR(status_str(c, "token", "type", NULL), "DPoP");
    CHECK_STR(status_str(c, "token", "fingerprint", NULL), "9f86d081");
    CHECK(status_int(c, "token", "expires_in", NULL) == 3500);
    CHECK(status_int(c, "token", "refresh_in", NULL) == 3140);
    CHECK(status_int(c, "last_success", NULL) == 1699999900);
    CHECK(status_null(c, "last_failure", "time", NULL));
    CHECK(status_int(c, "token_requests", "ok", NULL) == 3);
    CHECK(status_int(c, "requests", "HIT", NULL) == 5);
    CHECK(status_int(c, "requests", "MISS", NULL) == 1);
    CHECK(status_int(c, "requests", "WAIT", NULL) == 1);
    CHECK(status_int(c, "requests", "REFRESH", NULL) == 0);
    CHECK(status_int(c, "takeovers", NULL) == 1);
    CHECK(status_int(c, "purges", NULL) == 2);

    b = status_at(c, "token_request_duration", "buckets", NULL);

    for (i = 0; i < 9; i++) {
        CHECK(status_int(json_array_get(b, i), "count", NULL)
              == cumulative[i]);
    }

    CHECK(json_real_value(status_at(c, "token_request_duration", "sum",
                                    NULL))
          == 3.161);
    CHECK(status_int(c, "token_request_duration", "count", NULL) == 3);

    c = status_at(j, "clients", "backup", NULL);

    CHECK_STR(status_str(c, "state", NULL), "refreshing");
    CHECK_STR(status_str(c, "token", "type", NULL), "Bearer");
    CHECK(status_int(c, "token", "refresh_in", NULL) == 0);
    CHECK(json_is_true(status_at(c, "in_flight", NULL)));
    CHECK(status_int(c, "pid", NULL) == 4242);

    if (prom != NULL) {
        CHECK(status_line(prom,
                  "oauth2_client_state{client=\"okta\",zone=\"oauth2_client\","
                  "state=\"valid\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_state{client=\"backup\","
                  "zone=\"oauth2_client\",state=\"refreshing\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_token_cached{client=\"okta\","
                  "zone=\"oauth2_client\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_token_info{client=\"okta\","
                  "zone=\"oauth2_client\",type=\"DPoP\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_token_info{client=\"backup\","
                  "zone=\"oauth2_client\",type=\"Bearer\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_token_expires_in_seconds{client=\"okta\","
                  "zone=\"oauth2_client\"} 3500"));
        CHECK(status_line(prom,
                  "oauth2_client_token_refresh_in_seconds{client=\"okta\","
                  "zone=\"oauth2_client\"} 3140"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_in_flight{client=\"backup\","
                  "zone=\"oauth2_client\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_last_success_timestamp_seconds"
                  "{client=\"okta\",zone=\"oauth2_client\"} 1699999900"));
        CHECK(status_line(prom,
                  "oauth2_client_token_requests_total{client=\"okta\","
                  "zone=\"oauth2_client\",outcome=\"ok\"} 3"));
        CHECK(status_line(prom,
                  "oauth2_client_requests_total{client=\"okta\","
                  "zone=\"oauth2_client\",token_status=\"HIT\"} 5"));
        CHECK(status_line(prom,
                  "oauth2_client_takeovers_total{client=\"okta\","
                  "zone=\"oauth2_client\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_purges_total{client=\"okta\","
                  "zone=\"oauth2_client\"} 2"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_bucket"
                  "{client=\"okta\",zone=\"oauth2_client\",le=\"0.05\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_bucket"
                  "{client=\"okta\",zone=\"oauth2_client\",le=\"2.5\"} 2"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_bucket"
                  "{client=\"okta\",zone=\"oauth2_client\",le=\"5\"} 3"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_sum"
                  "{client=\"okta\",zone=\"oauth2_client\"} 3.161"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_count"
                  "{client=\"okta\",zone=\"oauth2_client\"} 3"));

        /* one HELP and TYPE per family, the fingerprint in JSON only */

        CHECK(status_count(prom, "# TYPE oauth2_client_state ") == 1);
        CHECK(status_count(prom,
                  "# TYPE oauth2_client_token_request_duration_seconds "
                  "histogram")
              == 1);
        CHECK(strstr(prom, "9f86d081") == NULL);
        CHECK(strstr(prom, "4242") == NULL);
    }

    free(prom);
    json_decref(j);
}


/* Okta answered 429 twice; the old token is still served (STALE) */

static void
test_status_backoff(void)
{
    char                                      *prom;
    json_t                                    *j, *c;
    ngx_http_oauth2_client_status_client_t     cl;
    ngx_http_oauth2_client_status_snapshot_t   s;

    status_init(&s, &cl, 1);
    strcpy(cl.name, "okta");

    status_result(&cl.record, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK, 200,
                  NULL, NULL, 80, 1699996400);
    status_result(&cl.record, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_429,
                  429, NULL, NULL, 90, 1699999800);
    status_result(&cl.record, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_429,
                  429, "rate_limit_exceeded", "API call exceeded rate limit",
                  70, 1699999940);
    ngx_http_oauth2_client_status_record_served(&cl.record,
                                  NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_STALE);

    cl.state = NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_BACKOFF;
    cl.token_cached = 1;
    strcpy(cl.fingerprint, "5e884898");
    cl.has_expires_in = 1;
    cl.expires_in = 280;
    cl.has_refresh_in = 1;
    cl.refresh_in = -40;
    cl.has_next_attempt_in = 1;
    cl.next_attempt_in = 58;

    j = status_output("backoff", &s, &prom);
    c = status_at(j, "clients", "okta", NULL);

    CHECK_STR(status_str(c, "state", NULL), "backoff");
    CHECK(json_is_true(status_at(c, "token", "cached", NULL)));
    CHECK(status_int(c, "token", "refresh_in", NULL) == -40);
    CHECK(status_int(c, "next_attempt_in", NULL) == 58);
    CHECK(status_int(c, "consecutive_failures", NULL) == 2);
    CHECK(status_int(c, "last_success", NULL) == 1699996400);
    CHECK(status_int(c, "last_failure", "time", NULL) == 1699999940);
    CHECK_STR(status_str(c, "last_failure", "class", NULL), "http_429");
    CHECK(status_int(c, "last_failure", "status", NULL) == 429);
    CHECK_STR(status_str(c, "last_failure", "error", NULL),
              "rate_limit_exceeded");
    CHECK_STR(status_str(c, "last_failure", "error_description", NULL),
              "API call exceeded rate limit");
    CHECK(status_int(c, "token_requests", "http_429", NULL) == 2);
    CHECK(status_int(c, "token_requests", "http_4xx", "other", NULL) == 0);
    CHECK(status_int(c, "requests", "STALE", NULL) == 1);

    if (prom != NULL) {
        CHECK(status_line(prom,
                  "oauth2_client_state{client=\"okta\",zone=\"oauth2_client\","
                  "state=\"backoff\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_next_attempt_in_seconds{client=\"okta\","
                  "zone=\"oauth2_client\"} 58"));
        CHECK(status_line(prom,
                  "oauth2_client_token_refresh_in_seconds{client=\"okta\","
                  "zone=\"oauth2_client\"} -40"));
        CHECK(status_line(prom,
                  "oauth2_client_consecutive_failures{client=\"okta\","
                  "zone=\"oauth2_client\"} 2"));
        CHECK(status_line(prom,
                  "oauth2_client_last_failure_timestamp_seconds"
                  "{client=\"okta\",zone=\"oauth2_client\"} 1699999940"));
        CHECK(status_line(prom,
                  "oauth2_client_last_failure_info{client=\"okta\","
                  "zone=\"oauth2_client\",class=\"http_429\",status=\"429\","
                  "error=\"rate_limit_exceeded\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_token_requests_total{client=\"okta\","
                  "zone=\"oauth2_client\",outcome=\"http_429\"} 2"));
        CHECK(status_line(prom,
                  "oauth2_client_requests_total{client=\"okta\","
                  "zone=\"oauth2_client\",token_status=\"STALE\"} 1"));

        /* the description is free text: JSON only */

        CHECK(strstr(prom, "API call") == NULL);
    }

    free(prom);
    json_decref(j);
}


/*
 * Hostile text: a description with quotes, backslashes, newlines and
 * control bytes, sanitized by the record; then the same bytes (and DEL,
 * 0xff) put in the record, the name and the zone name behind its back,
 * escaped by the formatters.
 */

static void
test_status_hostile(void)
{
    char                                      *prom, long_text[400];
    json_t                                    *j, *c;
    ngx_http_oauth2_client_status_client_t     cl;
    ngx_http_oauth2_client_status_snapshot_t   s;

    static const char  hostile[] =
        "bad \"client\" \\ assertion\nline 2\r\t\x01\x1f end";
    static const char  sanitized[] =
        "bad \"client\" \\ assertion?line 2??\?\? end";
    static const char  raw[] = "q\"b\\n\nc\x01\x7f\xff_";
    static const char  raw_label[] = "q\\\"b\\\\n\\nc???_";
    static const char  raw_json[] = "q\"b\\n\nc\x01\x7f\xc3\xbf_";

    status_init(&s, &cl, 1);
    strcpy(cl.name, "okta");

    status_result(&cl.record, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_HTTP_4XX,
                  400, "invalid_client", hostile, 250, 1699999990);

    CHECK_STR(cl.record.last_description, sanitized);
    CHECK_STR(cl.record.last_error, "invalid_client");
    CHECK(cl.record.requests[
              NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_INVALID_CLIENT] == 1);

    j = status_output("hostile-sanitized", &s, &prom);
    c = status_at(j, "clients", "okta", NULL);

    CHECK_STR(status_str(c, "last_failure", "error_description", NULL),
              sanitized);
    CHECK_STR(status_str(c, "last_failure", "class", NULL), "http_4xx");
    CHECK(status_int(c, "last_failure", "status", NULL) == 400);
    CHECK(status_int(c, "token_requests", "http_4xx", "invalid_client", NULL)
          == 1);

    if (prom != NULL) {
        CHECK(status_line(prom,
                  "oauth2_client_last_failure_info{client=\"okta\","
                  "zone=\"oauth2_client\",class=\"http_4xx\",status=\"400\","
                  "error=\"invalid_client\"} 1"));
        CHECK(status_line(prom,
                  "oauth2_client_token_requests_total{client=\"okta\","
                  "zone=\"oauth2_client\",outcome=\"http_4xx\","
                  "error=\"invalid_client\"} 1"));
    }

    free(prom);
    json_decref(j);

    /* a description too long is cut at 200 bytes */

    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';

    status_result(&cl.record, NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_INVALID,
                  200, long_text, long_text, 10, 1699999991);

    CHECK(strlen(cl.record.last_error)
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_MAX);
    CHECK(strlen(cl.record.last_description)
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_MAX);

    /* raw bytes the record would never hold: the formatters escape them */

    strcpy(cl.name, raw);
    strcpy(s.zone.name, raw);
    strcpy(cl.record.last_error, raw);
    strcpy(cl.record.last_description, raw);
    strcpy(cl.fingerprint, "\"\\\n\x01\xff");
    cl.token_cached = 1;

    j = status_output("hostile-raw", &s, &prom);
    c = status_at(j, "clients", raw_json, NULL);

    CHECK(c != NULL);
    CHECK_STR(status_str(c, "name", NULL), raw_json);
    CHECK_STR(status_str(j, "zone", "name", NULL), raw_json);
    CHECK_STR(status_str(c, "last_failure", "error", NULL), raw_json);
    CHECK_STR(status_str(c, "last_failure", "error_description", NULL),
              raw_json);
    CHECK_STR(status_str(c, "token", "fingerprint", NULL),
              "\"\\\n\x01\xc3\xbf");

    if (prom != NULL) {
        CHECK(strstr(prom, "client=\"q\\\"b\\\\n\\nc???_\",zone=\"") != NULL);
        CHECK(strstr(prom, raw_label) != NULL);
        CHECK(strstr(prom, "error=\"q\\\"b\\\\n\\nc???_\"} 1\n") != NULL);

        /* every sample has the zone label */

        CHECK(status_count(prom, "zone=\"q\\\"b\\\\n\\nc???_\"")
              == status_samples(prom));
    }

    free(prom);
    json_decref(j);

    /* a string that fills its array is read to the end of it, no further */

    memset(cl.name, 'n', sizeof(cl.name));
    memset(s.zone.name, 'z', sizeof(s.zone.name));
    memset(cl.record.last_error, 'e', sizeof(cl.record.last_error));
    memset(cl.record.last_description, 'd',
           sizeof(cl.record.last_description));
    memset(cl.fingerprint, 'f', sizeof(cl.fingerprint));
    memset(s.version, 'v', sizeof(s.version));

    j = status_output("unterminated", &s, &prom);

    CHECK(STATUS_LEN(status_str(j, "version", NULL))
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_VERSION_LEN);
    CHECK(STATUS_LEN(status_str(j, "zone", "name", NULL))
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_NAME_LEN);

    c = json_object_iter_value(json_object_iter(status_at(j, "clients",
                                                          NULL)));

    CHECK(STATUS_LEN(status_str(c, "name", NULL))
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_NAME_LEN);
    CHECK(STATUS_LEN(status_str(c, "token", "fingerprint", NULL))
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_FP_LEN);
    CHECK(STATUS_LEN(status_str(c, "last_failure", "error", NULL))
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_LEN);
    CHECK(STATUS_LEN(status_str(c, "last_failure", "error_description", NULL))
          == NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_LEN);

    free(prom);
    json_decref(j);
}


/* enumerations out of range, counters at their limits */

static void
test_status_limits(void)
{
    char                                      *prom;
    json_t                                    *j, *c;
    unsigned                                   i;
    ngx_http_oauth2_client_status_client_t     cl;
    ngx_http_oauth2_client_status_snapshot_t   s;

    status_init(&s, &cl, 1);
    strcpy(cl.name, "okta");

    s.now = INT64_MIN;
    s.zone.size = UINT64_MAX;
    s.zone.evictions = UINT64_MAX;

    cl.state = 99;
    cl.token_cached = 1;
    cl.token_type = 7;
    cl.has_expires_in = 1;
    cl.expires_in = INT64_MIN;
    cl.has_next_attempt_in = 1;
    cl.next_attempt_in = INT64_MAX;
    cl.fetching = 1;
    cl.fetch_pid = -1;

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_N; i++) {
        cl.record.requests[i] = UINT64_MAX;
    }

    for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS; i++) {
        cl.record.latency[i] = UINT64_MAX;
    }

    cl.record.latency_ms = UINT64_MAX;
    cl.record.takeovers = (uint64_t) INT64_MAX + 1;
    cl.record.failures = UINT64_MAX;
    cl.record.last_failure = -1;
    cl.record.last_class = 99;
    cl.record.last_status = 7;

    j = status_output("limits", &s, &prom);
    c = status_at(j, "clients", "okta", NULL);

    CHECK(status_int(j, "time", NULL) == INT64_MIN);
    CHECK(status_int(j, "zone", "size", NULL) == INT64_MAX);
    CHECK_STR(status_str(c, "state", NULL), "unknown");
    CHECK_STR(status_str(c, "token", "type", NULL), "unknown");
    CHECK(status_int(c, "token", "expires_in", NULL) == INT64_MIN);
    CHECK(status_int(c, "next_attempt_in", NULL) == INT64_MAX);
    CHECK(status_int(c, "pid", NULL) == -1);
    CHECK(status_int(c, "takeovers", NULL) == INT64_MAX);
    CHECK(status_int(c, "consecutive_failures", NULL) == INT64_MAX);
    CHECK(status_int(c, "token_requests", "ok", NULL) == INT64_MAX);
    CHECK(status_int(c, "token_requests", "http_4xx", "other", NULL)
          == INT64_MAX);
    CHECK(status_int(c, "token_request_duration", "count", NULL)
          == INT64_MAX);
    CHECK_STR(status_str(c, "last_failure", "class", NULL), "unknown");
    CHECK(status_int(c, "last_failure", "time", NULL) == -1);
    CHECK(status_int(c, "last_failure", "status", NULL) == 7);

    if (prom != NULL) {

        /* an unknown state is none of the four */

        CHECK(status_count(prom, "state=\"") == 4);
        CHECK(strstr(prom, "\",state=\"no_token\"} 0\n") != NULL);
        CHECK(strstr(prom, "} 1\n") == strstr(prom, "version=\"0.3.0\"} 1")
                                        + strlen("version=\"0.3.0\""));
        CHECK(strstr(prom, "oauth2_client_token_info") == NULL);
        CHECK(strstr(prom, "oauth2_client_last_failure_info") == NULL);
        CHECK(status_line(prom,
                  "oauth2_client_zone_size_bytes{zone=\"oauth2_client\"} "
                  "18446744073709551615"));
        CHECK(status_line(prom,
                  "oauth2_client_token_expires_in_seconds{client=\"okta\","
                  "zone=\"oauth2_client\"} -9223372036854775808"));
        CHECK(status_line(prom,
                  "oauth2_client_next_attempt_in_seconds{client=\"okta\","
                  "zone=\"oauth2_client\"} 9223372036854775807"));
        CHECK(status_line(prom,
                  "oauth2_client_takeovers_total{client=\"okta\","
                  "zone=\"oauth2_client\"} 9223372036854775808"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_bucket"
                  "{client=\"okta\",zone=\"oauth2_client\",le=\"0.05\"} "
                  "18446744073709551615"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_sum"
                  "{client=\"okta\",zone=\"oauth2_client\"} "
                  "18446744073709551.615"));
        CHECK(status_line(prom,
                  "oauth2_client_token_request_duration_seconds_count"
                  "{client=\"okta\",zone=\"oauth2_client\"} "
                  "18446744073709551615"));
    }

    free(prom);
    json_decref(j);

    /* a last failure with a class but no valid HTTP status */

    cl.record.last_class = NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_TIMEOUT;
    cl.record.last_status = 0;
    cl.record.last_error[0] = '\0';

    j = status_output("limits-timeout", &s, &prom);
    c = status_at(j, "clients", "okta", NULL);

    CHECK_STR(status_str(c, "last_failure", "class", NULL), "timeout");
    CHECK(status_null(c, "last_failure", "status", NULL));
    CHECK(status_null(c, "last_failure", "error", NULL));

    if (prom != NULL) {
        CHECK(status_line(prom,
                  "oauth2_client_last_failure_info{client=\"okta\","
                  "zone=\"oauth2_client\",class=\"timeout\"} 1"));
    }

    free(prom);
    json_decref(j);
}


/*
 * Buffers shorter than the output: the return value is the whole
 * length, the buffer holds the output's first bytes, nothing is written
 * past its size
 */

static void
test_status_buffers(void)
{
    int                                        f, ok;
    char                                      *full, *buf;
    size_t                                     n, k, m;
    ngx_http_oauth2_client_status_client_t     cl[2];
    ngx_http_oauth2_client_status_snapshot_t   s;

    status_init(&s, cl, 2);
    strcpy(cl[0].name, "okta");
    strcpy(cl[1].name, "backup");
    cl[1].token_cached = 1;
    cl[1].has_expires_in = 1;
    cl[1].expires_in = 60;
    cl[1].record.last_failure = 1;
    strcpy(cl[1].record.last_description, "\"quoted\"");

    for (f = 0; f < 2; f++) {
        full = f == 0 ? status_json(&s, &n) : status_prom(&s, &n);

        if (full == NULL) {
            continue;
        }

        ok = 1;

        for (k = 0; k <= n; k += (k < 300) ? 1 : 97) {
            buf = malloc(k + 1);

            if (buf == NULL) {
                ok = 0;
                break;
            }

            memset(buf, 0xa5, k + 1);

            m = f == 0 ? ngx_http_oauth2_client_status_json(&s, buf, k)
                       : ngx_http_oauth2_client_status_prometheus(&s, buf, k);

            if (m != n || memcmp(buf, full, k) != 0
                || (unsigned char) buf[k] != 0xa5)
            {
                printf("FAILED buffer of %zu bytes (%s)\n", k,
                       f == 0 ? "JSON" : "Prometheus");
                ok = 0;
            }

            free(buf);
        }

        CHECK(ok);
        free(full);
    }
}


/* the strict reader itself: what it must refuse, what it must take */

static void
test_status_checker(void)
{
    size_t  i;
    long    n;
    char    err[256];

    static const char  *bad[] = {
        "# TYPE a gauge\na{x=\"1\"} 1",
        "# TYPE a gauge\n\na 1\n",
        "# a comment\n",
        "# HELP a x\n# HELP a y\n# TYPE a gauge\na 1\n",
        "# TYPE a gauge\n# TYPE a gauge\na 1\n",
        "# TYPE a gauge\na 1\n# HELP a late\n",
        "a 1\n",
        "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
        "# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"2\"} 1\n",
        "# TYPE a gauge\na{x=\"a\\tb\"} 1\n",
        "# TYPE a gauge\na{x=\"1} 1\n",
        "# TYPE a gauge\na{x=\"1\",} 1\n",
        "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",
        "# TYPE a gauge\na{__x=\"1\"} 1\n",
        "# TYPE a gauge\na{1x=\"1\"} 1\n",
        "# TYPE a gauge\na 1,5\n",
        "# TYPE a gauge\na  1\n",
        "# TYPE a gauge\na 1 \n",
        "# TYPE a gauge\na 0x10\n",
        "# TYPE a gauge\na{x=\"\x80\"} 1\n",
        "# TYPE a gauge\na 1\r\n",
        "# TYPE a gauges\na 1\n",
        "# HELP a bad \\t escape\n# TYPE a gauge\na 1\n",
        "# TYPE a counter\na 1\n",
        "# TYPE a_total counter\na_total -1\n",
        "# TYPE a_total counter\na_total NaN\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
        "h_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
        "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n",
        "# TYPE h histogram\nh_bucket 1\n",
        "# TYPE h histogram\nh 1\n",
        "# TYPE h histogram\nh_bucket{a=\"1\",le=\"+Inf\"} 1\n"
        "h_sum{a=\"2\"} 1\nh_count{a=\"2\"} 1\n",
        NULL
    };

    static const char  *good[] = {
        "",
        "# TYPE a gauge\na 1\n",
        "# HELP a with \\\\ and \\n\n# TYPE a gauge\na{x=\"q\\\"\\\\\\n\"} "
        "-1.5e-3\na{x=\"2\"} +Inf\na{x=\"3\"} NaN 1700000000000\n",
        "# TYPE a_total counter\na_total{} 0\n",
        "# TYPE h histogram\nh_bucket{a=\"1\",le=\"0.5\"} 0\n"
        "h_bucket{le=\"+Inf\",a=\"1\"} 3\nh_sum{a=\"1\"} .5\n"
        "h_count{a=\"1\"} 3\nh_bucket{a=\"2\",le=\"+Inf\"} 0\n"
        "h_sum{a=\"2\"} 0\nh_count{a=\"2\"} 0\n",
        NULL
    };

    for (i = 0; bad[i] != NULL; i++) {
        n = ngx_http_oauth2_client_prom_check(bad[i], strlen(bad[i]), err,
                                              sizeof(err));
        if (n != -1) {
            printf("FAILED: the reader took bad input %zu\n", i);
        }

        CHECK(n == -1 && err[0] != '\0');
    }

    for (i = 0; good[i] != NULL; i++) {
        n = ngx_http_oauth2_client_prom_check(good[i], strlen(good[i]), err,
                                              sizeof(err));
        if (n < 0) {
            printf("FAILED: the reader refused good input %zu: %s\n", i,
                   err);
        }

        CHECK(n >= 0);
    }
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        status_dir = argv[1];
    }

    test_status_checker();
    test_status_record();
    test_status_empty();
    test_status_never();
    test_status_valid();
    test_status_backoff();
    test_status_hostile();
    test_status_limits();
    test_status_buffers();

    return ngx_http_oauth2_client_test_report();
}
