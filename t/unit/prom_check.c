
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * A strict reader of the Prometheus text format.  See prom_check.h.
 */


#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom_check.h"


#define PROM_LABELS_MAX  16

enum {
    PROM_UNTYPED = 0,
    PROM_COUNTER,
    PROM_GAUGE,
    PROM_HISTOGRAM,
    PROM_SUMMARY
};


typedef struct {
    char        *name;
    int          type;
    unsigned     help:1;
    unsigned     typed:1;
    unsigned     sampled:1;
    unsigned     closed:1;
} prom_family_t;


typedef struct {
    char        *series;
    long         line;
} prom_series_t;


typedef struct {
    const char  *name;      /* points into the line */
    size_t       nlen;
    const char  *value;     /* escaped, as written */
    size_t       vlen;
} prom_label_t;


/* the histogram series being read: its labels without "le" */
typedef struct {
    char        *base;
    int          phase;     /* 0: none, 1: buckets, 2: +Inf, 3: _sum */
    double       le;
    double       count;
    int          nbuckets;
} prom_hist_t;


typedef struct {
    prom_family_t  *families;
    size_t          nfamilies;
    long            current;        /* family of the last sample; -1 */

    prom_series_t  *series;
    size_t          nseries;

    prom_hist_t     hist;

    long            line;
    long            samples;
    char           *err;
    size_t          errlen;
} prom_t;


static int prom_fail(prom_t *pr, const char *fmt, ...);
static int prom_name_start(int c);
static int prom_name_char(int c);
static size_t prom_metric_name(const char *p, size_t len);
static size_t prom_label_name(const char *p, size_t len);
static int prom_float(const char *p, size_t len, double *v);
static long prom_family(prom_t *pr, const char *name, size_t len,
    int create);
static int prom_meta(prom_t *pr, const char *p, size_t len);
static int prom_labels(prom_t *pr, const char *p, size_t len, size_t *i,
    prom_label_t *labels, size_t *nlabels);
static int prom_sample(prom_t *pr, const char *p, size_t len);
static char *prom_canonical(const char *name, size_t nlen,
    prom_label_t *labels, size_t nlabels, const char *skip);
static int prom_histogram(prom_t *pr, const char *suffix,
    prom_label_t *labels, size_t nlabels, double v);
static int prom_switch(prom_t *pr, long family);
static int prom_series_cmp(const void *a, const void *b);
static int prom_label_cmp(const void *a, const void *b);
static void prom_free(prom_t *pr);


static int
prom_fail(prom_t *pr, const char *fmt, ...)
{
    int      n;
    va_list  args;

    if (pr->err != NULL && pr->errlen != 0) {
        n = snprintf(pr->err, pr->errlen, "line %ld: ", pr->line);

        if (n >= 0 && (size_t) n < pr->errlen) {
            va_start(args, fmt);
            vsnprintf(pr->err + n, pr->errlen - n, fmt, args);
            va_end(args);
        }
    }

    return -1;
}


static int
prom_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}


static int
prom_name_char(int c)
{
    return prom_name_start(c) || (c >= '0' && c <= '9');
}


/* [a-zA-Z_:][a-zA-Z0-9_:]*: its length, 0 if none */

static size_t
prom_metric_name(const char *p, size_t len)
{
    size_t  i;

    if (len == 0 || !(prom_name_start(p[0]) || p[0] == ':')) {
        return 0;
    }

    for (i = 1; i < len && (prom_name_char(p[i]) || p[i] == ':'); i++) {
        /* void */
    }

    return i;
}


/* [a-zA-Z_][a-zA-Z0-9_]* */

static size_t
prom_label_name(const char *p, size_t len)
{
    size_t  i;

    if (len == 0 || !prom_name_start(p[0])) {
        return 0;
    }

    for (i = 1; i < len && prom_name_char(p[i]); i++) {
        /* void */
    }

    return i;
}


/*
 * A value: [+-]digits[.digits][e[+-]digits], [+-].digits..., +Inf,
 * -Inf, NaN (a strict part of what Go's ParseFloat takes)
 */

static int
prom_float(const char *p, size_t len, double *v)
{
    char    buf[64];
    size_t  i, digits;

    if ((len == 4 && memcmp(p, "+Inf", 4) == 0)
        || (len == 3 && memcmp(p, "Inf", 3) == 0))
    {
        *v = INFINITY;
        return 0;
    }

    if (len == 4 && memcmp(p, "-Inf", 4) == 0) {
        *v = -INFINITY;
        return 0;
    }

    if (len == 3 && memcmp(p, "NaN", 3) == 0) {
        *v = NAN;
        return 0;
    }

    i = 0;

    if (i < len && (p[i] == '+' || p[i] == '-')) {
        i++;
    }

    digits = 0;

    while (i < len && p[i] >= '0' && p[i] <= '9') {
        i++;
        digits++;
    }

    if (i < len && p[i] == '.') {
        i++;

        while (i < len && p[i] >= '0' && p[i] <= '9') {
            i++;
            digits++;
        }
    }

    if (digits == 0) {
        return -1;
    }

    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;

        if (i < len && (p[i] == '+' || p[i] == '-')) {
            i++;
        }

        digits = 0;

        while (i < len && p[i] >= '0' && p[i] <= '9') {
            i++;
            digits++;
        }

        if (digits == 0) {
            return -1;
        }
    }

    if (i != len || len >= sizeof(buf)) {
        return -1;
    }

    memcpy(buf, p, len);
    buf[len] = '\0';
    *v = strtod(buf, NULL);

    return 0;
}


static long
prom_family(prom_t *pr, const char *name, size_t len, int create)
{
    size_t          i;
    prom_family_t  *f;

    for (i = 0; i < pr->nfamilies; i++) {
        if (strlen(pr->families[i].name) == len
            && memcmp(pr->families[i].name, name, len) == 0)
        {
            return (long) i;
        }
    }

    if (!create) {
        return -1;
    }

    f = realloc(pr->families, (pr->nfamilies + 1) * sizeof(prom_family_t));
    if (f == NULL) {
        return -1;
    }

    pr->families = f;
    f = &pr->families[pr->nfamilies];
    memset(f, 0, sizeof(prom_family_t));

    f->name = malloc(len + 1);
    if (f->name == NULL) {
        return -1;
    }

    memcpy(f->name, name, len);
    f->name[len] = '\0';

    return (long) pr->nfamilies++;
}


/* "# HELP name text" or "# TYPE name type" */

static int
prom_meta(prom_t *pr, const char *p, size_t len)
{
    int             help, type;
    long            fi;
    size_t          i, n;
    prom_family_t  *f;

    static const char  *types[] = {
        "untyped", "counter", "gauge", "histogram", "summary"
    };

    if (len > 7 && memcmp(p, "# HELP ", 7) == 0) {
        help = 1;

    } else if (len > 7 && memcmp(p, "# TYPE ", 7) == 0) {
        help = 0;

    } else {
        return prom_fail(pr, "a comment, or not \"# HELP \"/\"# TYPE \"");
    }

    p += 7;
    len -= 7;

    n = prom_metric_name(p, len);

    if (n == 0 || n == len || p[n] != ' ') {
        return prom_fail(pr, "no metric name and a space");
    }

    fi = prom_family(pr, p, n, 1);
    if (fi < 0) {
        return prom_fail(pr, "no memory");
    }

    f = &pr->families[fi];

    if (f->sampled) {
        return prom_fail(pr, "HELP or TYPE after samples of %s", f->name);
    }

    p += n + 1;
    len -= n + 1;

    if (help) {
        if (f->help) {
            return prom_fail(pr, "second HELP for %s", f->name);
        }

        f->help = 1;

        for (i = 0; i < len; i++) {
            if (p[i] == '\\') {
                if (i + 1 == len || (p[i + 1] != '\\' && p[i + 1] != 'n')) {
                    return prom_fail(pr, "bad escape in HELP");
                }

                i++;
            }
        }

        return 0;
    }

    if (f->typed) {
        return prom_fail(pr, "second TYPE for %s", f->name);
    }

    for (type = 0; type < 5; type++) {
        if (strlen(types[type]) == len && memcmp(p, types[type], len) == 0) {
            break;
        }
    }

    if (type == 5) {
        return prom_fail(pr, "unknown type \"%.*s\"", (int) len, p);
    }

    f->typed = 1;
    f->type = type;

    return 0;
}


/* {name="value",...}: *i at the "{", after the "}" when done */

static int
prom_labels(prom_t *pr, const char *p, size_t len, size_t *i,
    prom_label_t *labels, size_t *nlabels)
{
    size_t  j, k, n;

    j = *i + 1;
    *nlabels = 0;

    for ( ;; ) {
        if (j < len && p[j] == '}') {
            break;
        }

        n = prom_label_name(p + j, len - j);

        if (n == 0) {
            return prom_fail(pr, "bad label name");
        }

        if (n >= 2 && p[j] == '_' && p[j + 1] == '_') {
            return prom_fail(pr, "reserved label name");
        }

        if (*nlabels == PROM_LABELS_MAX) {
            return prom_fail(pr, "too many labels");
        }

        for (k = 0; k < *nlabels; k++) {
            if (labels[k].nlen == n && memcmp(labels[k].name, p + j, n) == 0)
            {
                return prom_fail(pr, "label %.*s twice", (int) n, p + j);
            }
        }

        labels[*nlabels].name = p + j;
        labels[*nlabels].nlen = n;
        j += n;

        if (j + 1 >= len || p[j] != '=' || p[j + 1] != '"') {
            return prom_fail(pr, "no =\" after a label name");
        }

        j += 2;
        labels[*nlabels].value = p + j;

        while (j < len && p[j] != '"') {
            if (p[j] == '\\') {
                if (j + 1 == len
                    || (p[j + 1] != '\\' && p[j + 1] != '"'
                        && p[j + 1] != 'n'))
                {
                    return prom_fail(pr, "bad escape in a label value");
                }

                j++;
            }

            j++;
        }

        if (j == len) {
            return prom_fail(pr, "unterminated label value");
        }

        labels[*nlabels].vlen = p + j - labels[*nlabels].value;
        (*nlabels)++;
        j++;

        if (j < len && p[j] == ',') {
            j++;

            /* a comma before "}" is allowed by the format, not by us */

            if (j < len && p[j] == '}') {
                return prom_fail(pr, "a comma before }");
            }

            continue;
        }

        if (j < len && p[j] == '}') {
            break;
        }

        return prom_fail(pr, "no , or } after a label");
    }

    *i = j + 1;

    return 0;
}


static int
prom_label_cmp(const void *a, const void *b)
{
    const prom_label_t  *x = a, *y = b;
    size_t               n;
    int                  rc;

    n = x->nlen < y->nlen ? x->nlen : y->nlen;
    rc = memcmp(x->name, y->name, n);

    if (rc != 0) {
        return rc;
    }

    return (x->nlen > y->nlen) - (x->nlen < y->nlen);
}


/* name{a="1",b="2"} with the labels sorted, skip left out; malloc()ed */

static char *
prom_canonical(const char *name, size_t nlen, prom_label_t *labels,
    size_t nlabels, const char *skip)
{
    char          *s, *p;
    size_t         i, size;
    prom_label_t   sorted[PROM_LABELS_MAX];

    memcpy(sorted, labels, nlabels * sizeof(prom_label_t));
    qsort(sorted, nlabels, sizeof(prom_label_t), prom_label_cmp);

    size = nlen + 3;

    for (i = 0; i < nlabels; i++) {
        size += sorted[i].nlen + sorted[i].vlen + 4;
    }

    s = malloc(size);
    if (s == NULL) {
        return NULL;
    }

    p = s;
    memcpy(p, name, nlen);
    p += nlen;
    *p++ = '{';

    for (i = 0; i < nlabels; i++) {
        if (skip != NULL && strlen(skip) == sorted[i].nlen
            && memcmp(skip, sorted[i].name, sorted[i].nlen) == 0)
        {
            continue;
        }

        memcpy(p, sorted[i].name, sorted[i].nlen);
        p += sorted[i].nlen;
        *p++ = '=';
        *p++ = '"';
        memcpy(p, sorted[i].value, sorted[i].vlen);
        p += sorted[i].vlen;
        *p++ = '"';
        *p++ = ',';
    }

    *p++ = '}';
    *p = '\0';

    return s;
}


/* a family's samples are together: leaving one closes it */

static int
prom_switch(prom_t *pr, long family)
{
    if (pr->current == family) {
        return 0;
    }

    if (pr->current >= 0) {
        if (pr->hist.phase != 0) {
            return prom_fail(pr, "histogram %s ends without _count",
                             pr->families[pr->current].name);
        }

        pr->families[pr->current].closed = 1;
    }

    if (pr->families[family].closed) {
        return prom_fail(pr, "samples of %s not together",
                         pr->families[family].name);
    }

    pr->current = family;

    return 0;
}


/*
 * One histogram series at a time, in the order Prometheus' clients
 * write it: buckets with "le" increasing and counts not decreasing, up
 * to +Inf, then _sum, then _count equal to the +Inf bucket.
 */

static int
prom_histogram(prom_t *pr, const char *suffix, prom_label_t *labels,
    size_t nlabels, double v)
{
    int           same;
    char         *base;
    double        le;
    size_t        i;
    prom_hist_t  *h;

    h = &pr->hist;

    base = prom_canonical("", 0, labels, nlabels, "le");
    if (base == NULL) {
        return prom_fail(pr, "no memory");
    }

    same = (h->base != NULL && strcmp(h->base, base) == 0);

    if (strcmp(suffix, "_bucket") == 0) {

        for (i = 0; i < nlabels; i++) {
            if (labels[i].nlen == 2 && memcmp(labels[i].name, "le", 2) == 0) {
                break;
            }
        }

        if (i == nlabels
            || prom_float(labels[i].value, labels[i].vlen, &le) != 0
            || le != le)
        {
            free(base);
            return prom_fail(pr, "a bucket without a valid le");
        }

        if (h->phase == 0) {
            free(h->base);
            h->base = base;
            h->phase = 1;
            h->nbuckets = 0;

        } else if (h->phase != 1 || !same) {
            free(base);
            return prom_fail(pr, "a bucket out of its series");

        } else {
            free(base);

            if (le <= h->le || v < h->count) {
                return prom_fail(pr, "le not increasing or count falling");
            }
        }

        h->le = le;
        h->count = v;
        h->nbuckets++;

        if (!(v >= 0)) {
            return prom_fail(pr, "a bucket count below 0 or NaN");
        }

        if (isinf(le) && le > 0) {
            h->phase = 2;
        }

        return 0;
    }

    free(base);

    if (!same) {
        return prom_fail(pr, "%s of another series", suffix);
    }

    if (strcmp(suffix, "_sum") == 0) {
        if (h->phase != 2) {
            return prom_fail(pr, "_sum before the +Inf bucket");
        }

        h->phase = 3;
        return 0;
    }

    if (h->phase != 3) {
        return prom_fail(pr, "_count before _sum");
    }

    if (v != h->count) {
        return prom_fail(pr, "_count is not the +Inf bucket");
    }

    h->phase = 0;

    return 0;
}


static int
prom_sample(prom_t *pr, const char *p, size_t len)
{
    long            fi;
    char           *series;
    size_t          i, n, start, nlabels;
    double          v, ts;
    const char     *suffix;
    prom_label_t    labels[PROM_LABELS_MAX];
    prom_family_t  *f;
    prom_series_t  *s;

    n = prom_metric_name(p, len);

    if (n == 0) {
        return prom_fail(pr, "no metric name");
    }

    i = n;
    nlabels = 0;

    if (i < len && p[i] == '{') {
        if (prom_labels(pr, p, len, &i, labels, &nlabels) != 0) {
            return -1;
        }
    }

    if (i == len || p[i] != ' ') {
        return prom_fail(pr, "no space before the value");
    }

    start = ++i;

    while (i < len && p[i] != ' ') {
        i++;
    }

    if (prom_float(p + start, i - start, &v) != 0) {
        return prom_fail(pr, "bad value \"%.*s\"", (int) (i - start),
                         p + start);
    }

    if (i < len) {
        start = ++i;

        if (i < len && p[i] == '-') {
            i++;
        }

        while (i < len && p[i] >= '0' && p[i] <= '9') {
            i++;
        }

        if (i != len || i == start
            || prom_float(p + start, i - start, &ts) != 0)
        {
            return prom_fail(pr, "bad timestamp");
        }
    }

    /* the family: a histogram's or summary's by suffix, or the name */

    suffix = NULL;
    fi = -1;

    if (n > 7 && memcmp(p + n - 7, "_bucket", 7) == 0) {
        fi = prom_family(pr, p, n - 7, 0);
        suffix = "_bucket";

    } else if (n > 4 && memcmp(p + n - 4, "_sum", 4) == 0) {
        fi = prom_family(pr, p, n - 4, 0);
        suffix = "_sum";

    } else if (n > 6 && memcmp(p + n - 6, "_count", 6) == 0) {
        fi = prom_family(pr, p, n - 6, 0);
        suffix = "_count";
    }

    if (fi >= 0
        && !(pr->families[fi].type == PROM_HISTOGRAM
             || (pr->families[fi].type == PROM_SUMMARY
                 && strcmp(suffix, "_bucket") != 0)))
    {
        fi = -1;
    }

    if (fi < 0) {
        suffix = NULL;
        fi = prom_family(pr, p, n, 1);

        if (fi < 0) {
            return prom_fail(pr, "no memory");
        }
    }

    if (prom_switch(pr, fi) != 0) {
        return -1;
    }

    f = &pr->families[fi];
    f->sampled = 1;

    if (!f->typed) {
        return prom_fail(pr, "a sample of %s before its TYPE", f->name);
    }

    if (f->type == PROM_HISTOGRAM || f->type == PROM_SUMMARY) {
        if (suffix == NULL) {
            return prom_fail(pr, "%s sample without a suffix", f->name);
        }

        if (f->type == PROM_HISTOGRAM
            && prom_histogram(pr, suffix, labels, nlabels, v) != 0)
        {
            return -1;
        }
    }

    if (f->type == PROM_COUNTER) {
        if (strlen(f->name) < 6
            || strcmp(f->name + strlen(f->name) - 6, "_total") != 0)
        {
            return prom_fail(pr, "counter %s not named *_total", f->name);
        }

        if (!(v >= 0)) {
            return prom_fail(pr, "counter %s below 0 or NaN", f->name);
        }
    }

    series = prom_canonical(p, n, labels, nlabels, NULL);
    if (series == NULL) {
        return prom_fail(pr, "no memory");
    }

    s = realloc(pr->series, (pr->nseries + 1) * sizeof(prom_series_t));
    if (s == NULL) {
        free(series);
        return prom_fail(pr, "no memory");
    }

    pr->series = s;
    pr->series[pr->nseries].series = series;
    pr->series[pr->nseries].line = pr->line;
    pr->nseries++;
    pr->samples++;

    return 0;
}


static int
prom_series_cmp(const void *a, const void *b)
{
    const prom_series_t  *x = a, *y = b;

    return strcmp(x->series, y->series);
}


static void
prom_free(prom_t *pr)
{
    size_t  i;

    for (i = 0; i < pr->nfamilies; i++) {
        free(pr->families[i].name);
    }

    for (i = 0; i < pr->nseries; i++) {
        free(pr->series[i].series);
    }

    free(pr->families);
    free(pr->series);
    free(pr->hist.base);
}


long
ngx_http_oauth2_client_prom_check(const char *p, size_t len, char *err,
    size_t errlen)
{
    int          rc;
    long         samples;
    size_t       i, start;
    prom_t       pr;

    memset(&pr, 0, sizeof(prom_t));
    pr.current = -1;
    pr.err = err;
    pr.errlen = errlen;

    if (err != NULL && errlen != 0) {
        err[0] = '\0';
    }

    rc = 0;
    start = 0;

    for (i = 0; rc == 0 && i < len; i++) {
        if (p[i] == '\n') {
            pr.line++;

            if (i == start) {
                rc = prom_fail(&pr, "an empty line");

            } else if (p[start] == '#') {
                rc = prom_meta(&pr, p + start, i - start);

            } else {
                rc = prom_sample(&pr, p + start, i - start);
            }

            start = i + 1;
            continue;
        }

        if ((unsigned char) p[i] < 0x20 || (unsigned char) p[i] > 0x7e) {
            pr.line++;
            rc = prom_fail(&pr, "byte 0x%02x", (unsigned char) p[i]);
        }
    }

    if (rc == 0 && start != len) {
        pr.line++;
        rc = prom_fail(&pr, "the last line does not end with \\n");
    }

    if (rc == 0 && pr.hist.phase != 0) {
        rc = prom_fail(&pr, "a histogram ends without _count");
    }

    if (rc == 0 && pr.nseries > 1) {
        qsort(pr.series, pr.nseries, sizeof(prom_series_t), prom_series_cmp);

        for (i = 1; i < pr.nseries; i++) {
            if (strcmp(pr.series[i - 1].series, pr.series[i].series) == 0) {
                pr.line = pr.series[i].line;
                rc = prom_fail(&pr, "series %s twice", pr.series[i].series);
                break;
            }
        }
    }

    samples = pr.samples;
    prom_free(&pr);

    return rc == 0 ? samples : -1;
}
