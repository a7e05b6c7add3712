
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: the status formatters on snapshots built from the
 * input.  Names, errors and descriptions are any bytes (unterminated in
 * their arrays too), enumerations and counters any value, records made
 * either by record_result() from random token request ends or as raw
 * bytes.  Both outputs are made into buffers of their exact length (and
 * a shorter one), so a byte written past them is an ASan report; the
 * JSON must be plain ASCII that jansson reads, with one object per
 * client; the Prometheus text must pass the strict reader of
 * t/unit/prom_check.c with the number of samples the snapshot makes.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ngx_http_oauth2_client_status.h"
#include "prom_check.h"


#define FUZZ_CLIENTS  4


typedef struct {
    const uint8_t  *p;
    size_t          len;
} fuzz_in_t;


static uint8_t fuzz_u8(fuzz_in_t *in);
static uint64_t fuzz_u64(fuzz_in_t *in);
static void fuzz_bytes(fuzz_in_t *in, char *dst, size_t size, size_t max);
static void fuzz_record(fuzz_in_t *in,
    ngx_http_oauth2_client_status_record_t *rec);
static void fuzz_client(fuzz_in_t *in,
    ngx_http_oauth2_client_status_client_t *c, unsigned i);
static long fuzz_samples(const ngx_http_oauth2_client_status_snapshot_t *s);
static char *fuzz_format(const ngx_http_oauth2_client_status_snapshot_t *s,
    int json, size_t *len);
static void fuzz_ascii(const char *p, size_t len, int newlines);


static uint8_t
fuzz_u8(fuzz_in_t *in)
{
    uint8_t  c;

    if (in->len == 0) {
        return 0;
    }

    c = *in->p++;
    in->len--;

    return c;
}


/* small values often, any value sometimes */

static uint64_t
fuzz_u64(fuzz_in_t *in)
{
    unsigned  i, n;
    uint64_t  v;

    n = fuzz_u8(in);

    if (n < 0x80) {
        return n;
    }

    v = 0;

    for (i = 0; i < (n & 7) + 1; i++) {
        v = (v << 8) | fuzz_u8(in);
    }

    return (n & 0x40) ? ~v : v;
}


/*
 * n bytes of the input into dst (size bytes), NUL-terminated: n up to
 * max from a length byte, or the whole array, unterminated, for 0xff
 */

static void
fuzz_bytes(fuzz_in_t *in, char *dst, size_t size, size_t max)
{
    size_t  n;

    n = fuzz_u8(in);
    n = (n == 0xff) ? size : n % (max + 1);
    n = n < size ? n : size;
    n = n < in->len ? n : in->len;

    memcpy(dst, in->p, n);
    in->p += n;
    in->len -= n;

    if (n < size) {
        dst[n] = '\0';
    }
}


static void
fuzz_record(fuzz_in_t *in, ngx_http_oauth2_client_status_record_t *rec)
{
    char                                    error[300], description[300];
    size_t                                  i, n, k;
    ngx_http_oauth2_client_status_result_t  res;

    static const char  *errors[] = {
        "invalid_client", "invalid_scope", "invalid_request",
        "unauthorized_client", "unsupported_grant_type",
        "invalid_dpop_proof", "use_dpop_nonce", "invalid_grant", ""
    };

    memset(rec, 0, sizeof(*rec));

    if (fuzz_u8(in) & 1) {

        /* raw bytes: what no record_result() makes */

        n = in->len < sizeof(*rec) ? in->len : sizeof(*rec);
        memcpy(rec, in->p, n);
        in->p += n;
        in->len -= n;
        return;
    }

    n = fuzz_u8(in) % 8;

    for (i = 0; i < n; i++) {
        res.class = fuzz_u8(in) % (NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_N + 2);
        res.status = (uint32_t) fuzz_u64(in);

        k = fuzz_u8(in);

        if (k < 9 * 16) {
            res.error = errors[k % 9];

        } else {
            fuzz_bytes(in, error, sizeof(error) - 1, 254);
            error[sizeof(error) - 1] = '\0';
            res.error = (k & 1) ? error : NULL;
        }

        fuzz_bytes(in, description, sizeof(description) - 1, 254);
        description[sizeof(description) - 1] = '\0';
        res.description = description;

        res.latency_ms = fuzz_u64(in);
        res.now = (int64_t) fuzz_u64(in);

        ngx_http_oauth2_client_status_record_result(rec, &res);

        /* what the record keeps is one printable line of 200 bytes */

        fuzz_ascii(rec->last_error, strlen(rec->last_error), 0);
        fuzz_ascii(rec->last_description, strlen(rec->last_description), 0);

        if (strlen(rec->last_error) > NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_MAX
            || strlen(rec->last_description)
               > NGX_HTTP_OAUTH2_CLIENT_STATUS_TEXT_MAX)
        {
            abort();
        }

        if (res.class == NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_OK
            && rec->failures != 0)
        {
            abort();
        }

        ngx_http_oauth2_client_status_record_served(rec, fuzz_u8(in) % 9);
    }
}


/*
 * Names end with "#<i>" so that no two clients of a snapshot are the
 * same series (nginx's names are unique and [A-Za-z0-9_.-]).
 */

static void
fuzz_client(fuzz_in_t *in, ngx_http_oauth2_client_status_client_t *c,
    unsigned i)
{
    size_t   n;
    uint8_t  flags;

    memset(c, 0, sizeof(*c));

    fuzz_bytes(in, c->name, sizeof(c->name) - 3, 40);
    c->name[sizeof(c->name) - 3] = '\0';
    n = strnlen(c->name, sizeof(c->name) - 3);
    c->name[n] = '#';
    c->name[n + 1] = (char) ('0' + i);
    c->name[n + 2] = '\0';

    c->state = fuzz_u8(in) % (NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_N + 2);
    c->token_type = fuzz_u8(in) % (NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_N + 1);
    fuzz_bytes(in, c->fingerprint, sizeof(c->fingerprint),
               sizeof(c->fingerprint));

    flags = fuzz_u8(in);
    c->token_cached = flags & 1;
    c->has_expires_in = (flags >> 1) & 1;
    c->has_refresh_in = (flags >> 2) & 1;
    c->has_next_attempt_in = (flags >> 3) & 1;
    c->fetching = (flags >> 4) & 1;

    c->expires_in = (int64_t) fuzz_u64(in);
    c->refresh_in = (int64_t) fuzz_u64(in);
    c->next_attempt_in = (int64_t) fuzz_u64(in);
    c->fetch_pid = (int64_t) fuzz_u64(in);

    fuzz_record(in, &c->record);
}


/* the samples the Prometheus text has for this snapshot */

static long
fuzz_samples(const ngx_http_oauth2_client_status_snapshot_t *s)
{
    long                                           n;
    size_t                                         i;
    const ngx_http_oauth2_client_status_client_t  *c;

    n = 6;

    for (i = 0; i < s->nclients; i++) {
        c = &s->clients[i];

        n += NGX_HTTP_OAUTH2_CLIENT_STATUS_STATE_N + 1 + 1 + 1;
        n += c->token_cached
             && c->token_type < NGX_HTTP_OAUTH2_CLIENT_STATUS_TOKEN_N;
        n += c->has_expires_in + c->has_refresh_in + c->has_next_attempt_in;
        n += (c->record.last_success != 0) + (c->record.last_failure != 0);
        n += c->record.last_failure != 0
             && c->record.last_class < NGX_HTTP_OAUTH2_CLIENT_STATUS_CLASS_N;
        n += NGX_HTTP_OAUTH2_CLIENT_STATUS_OUTCOME_N
             + NGX_HTTP_OAUTH2_CLIENT_STATUS_SERVED_N + 2
             + NGX_HTTP_OAUTH2_CLIENT_STATUS_BUCKETS + 2;
    }

    return n;
}


/* the output in a buffer of its exact length, and again in a shorter one */

static char *
fuzz_format(const ngx_http_oauth2_client_status_snapshot_t *s, int json,
    size_t *len)
{
    char    *buf, *half;
    size_t   n, m;

    n = json ? ngx_http_oauth2_client_status_json(s, NULL, 0)
             : ngx_http_oauth2_client_status_prometheus(s, NULL, 0);

    buf = malloc(n);
    half = malloc(n / 2 + 1);

    if (buf == NULL || half == NULL) {
        abort();
    }

    m = json ? ngx_http_oauth2_client_status_json(s, buf, n)
             : ngx_http_oauth2_client_status_prometheus(s, buf, n);

    if (m != n) {
        abort();
    }

    m = json ? ngx_http_oauth2_client_status_json(s, half, n / 2)
             : ngx_http_oauth2_client_status_prometheus(s, half, n / 2);

    if (m != n || memcmp(buf, half, n / 2) != 0) {
        abort();
    }

    free(half);
    *len = n;

    return buf;
}


static void
fuzz_ascii(const char *p, size_t len, int newlines)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((p[i] < 0x20 || p[i] > 0x7e) && !(newlines && p[i] == '\n')) {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                                      *out, err[256];
    long                                       samples;
    size_t                                     len, i;
    json_t                                    *root, *clients;
    fuzz_in_t                                  in;
    json_error_t                               jerr;
    ngx_http_oauth2_client_status_client_t    *c;
    ngx_http_oauth2_client_status_snapshot_t   s;

    in.p = data;
    in.len = size;

    memset(&s, 0, sizeof(s));

    s.nclients = fuzz_u8(&in) % (FUZZ_CLIENTS + 1);
    fuzz_bytes(&in, s.version, sizeof(s.version), sizeof(s.version));
    fuzz_bytes(&in, s.zone.name, sizeof(s.zone.name), 40);
    s.now = (int64_t) fuzz_u64(&in);
    s.zone.size = fuzz_u64(&in);
    s.zone.used = fuzz_u64(&in);
    s.zone.free = fuzz_u64(&in);
    s.zone.entries = fuzz_u64(&in);
    s.zone.evictions = fuzz_u64(&in);

    /* exactly as many as used: ASan sees a read past the last one */

    c = malloc(s.nclients * sizeof(*c) + 1);
    if (c == NULL) {
        return 0;
    }

    for (i = 0; i < s.nclients; i++) {
        fuzz_client(&in, &c[i], (unsigned) i);
    }

    s.clients = c;

    /* JSON: plain ASCII, one line, one object per client */

    out = fuzz_format(&s, 1, &len);

    if (len == 0 || out[len - 1] != '\n') {
        abort();
    }

    fuzz_ascii(out, len - 1, 0);

    root = json_loadb(out, len, JSON_REJECT_DUPLICATES, &jerr);

    if (root == NULL) {
        fprintf(stderr, "JSON: %s: %.*s\n", jerr.text, (int) len, out);
        abort();
    }

    clients = json_object_get(root, "clients");

    if (!json_is_object(clients) || json_object_size(clients) != s.nclients
        || !json_is_string(json_object_get(root, "version"))
        || !json_is_integer(json_object_get(root, "time")))
    {
        abort();
    }

    json_decref(root);
    free(out);

    /* Prometheus: the strict reader, and every sample there */

    out = fuzz_format(&s, 0, &len);

    samples = ngx_http_oauth2_client_prom_check(out, len, err, sizeof(err));

    if (samples != fuzz_samples(&s)) {
        fprintf(stderr, "Prometheus: %ld samples, not %ld: %s\n%.*s\n",
                samples, fuzz_samples(&s), err, (int) len, out);
        abort();
    }

    free(out);
    free(c);

    return 0;
}
