
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Signing time of the module's own code, per algorithm: the token request
 * body the module builds for every token request (claims and header as
 * JSON, a new jti, the JWS signature, base64url, form encoding), and the
 * JWS signature alone.  Linked against the module's nginx-free sources,
 * as the unit tests are.
 *
 *   sign_bench SECONDS NAME:ALG:KEYFILE ...
 *
 * prints one tab-separated line per case: the name, the algorithm, the
 * samples taken, and the median, 10th and 90th percentile of one
 * operation in microseconds for the body, then the median for the
 * signature alone.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "ngx_http_oauth2_client_key.h"
#include "ngx_http_oauth2_client_body.h"


#define SIGN_BENCH_MAX_SAMPLES  100000


static double sign_bench_now(void);
static int sign_bench_cmp(const void *a, const void *b);
static double sign_bench_pct(double *v, size_t n, double p);
static size_t sign_bench_body(ngx_http_oauth2_client_assertion_t *a,
    double seconds, double *t);
static size_t sign_bench_jws(EVP_PKEY *pkey, int alg, double seconds,
    double *t);


static double  samples[SIGN_BENCH_MAX_SAMPLES];


static double
sign_bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}


static int
sign_bench_cmp(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


static double
sign_bench_pct(double *v, size_t n, double p)
{
    return v[(size_t) (p / 100 * (n - 1) + 0.5)];
}


/* one operation at a time, until the time is up: microseconds each */

static size_t
sign_bench_body(ngx_http_oauth2_client_assertion_t *a, double seconds,
    double *t)
{
    char    *body, err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t   n, len;
    double   start, end, t0;

    n = 0;
    start = sign_bench_now();
    end = start + seconds * 1e6;

    do {
        t0 = sign_bench_now();

        body = ngx_http_oauth2_client_token_request_body(a, &len, err,
                                                         sizeof(err));
        if (body == NULL) {
            fprintf(stderr, "sign_bench: %s\n", err);
            exit(1);
        }

        OPENSSL_cleanse(body, len);
        free(body);

        t[n++] = sign_bench_now() - t0;

    } while (n < SIGN_BENCH_MAX_SAMPLES && (n < 20 || t0 < end));

    return n;
}


static size_t
sign_bench_jws(EVP_PKEY *pkey, int alg, double seconds, double *t)
{
    char                  err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                n, siglen;
    double                start, end, t0;
    unsigned char         sig[512];
    static unsigned char  input[] =
        "eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0xIiwidHlwIjoiSldUIn0."
        "eyJhdWQiOiJodHRwczovL2V4YW1wbGUub2t0YS5jb20vb2F1dGgyL3YxL3Rva2VuIiw"
        "iZXhwIjoxNzAwMDAwMzAwLCJpYXQiOjE3MDAwMDAwMDAsImlzcyI6IjBvYWJlbmNoIi"
        "wianRpIjoiQUFBQUFBQUFBQUFBQUFBQUFBQUFBQSIsInN1YiI6IjBvYWJlbmNoIn0";

    n = 0;
    start = sign_bench_now();
    end = start + seconds * 1e6;

    do {
        t0 = sign_bench_now();

        if (ngx_http_oauth2_client_jws_sign(pkey, alg, input,
                                            sizeof(input) - 1, sig, &siglen,
                                            err, sizeof(err))
            != 0)
        {
            fprintf(stderr, "sign_bench: %s\n", err);
            exit(1);
        }

        t[n++] = sign_bench_now() - t0;

    } while (n < SIGN_BENCH_MAX_SAMPLES && (n < 20 || t0 < end));

    return n;
}


int
main(int argc, char **argv)
{
    int                                  i, alg;
    char                                *name, *alg_name, *file;
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                               n, m;
    double                               seconds, med, p10, p90;
    EVP_PKEY                            *pkey;
    ngx_http_oauth2_client_assertion_t   a;

    if (argc < 3) {
        fprintf(stderr, "usage: sign_bench SECONDS NAME:ALG:KEYFILE ...\n");
        return 2;
    }

    seconds = atof(argv[1]);

    printf("case\talg\tsamples\tbody_median_us\tbody_p10_us\t"
           "body_p90_us\tsign_median_us\n");

    for (i = 2; i < argc; i++) {
        name = strtok(argv[i], ":");
        alg_name = strtok(NULL, ":");
        file = strtok(NULL, "");

        if (name == NULL || alg_name == NULL || file == NULL) {
            fprintf(stderr, "sign_bench: \"%s\": NAME:ALG:KEYFILE\n",
                    argv[i]);
            return 2;
        }

        alg = ngx_http_oauth2_client_alg_by_name(alg_name, strlen(alg_name));
        pkey = ngx_http_oauth2_client_key_load(file, err, sizeof(err));

        if (alg == NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET || pkey == NULL) {
            fprintf(stderr, "sign_bench: %s: %s\n", name,
                    pkey ? "unknown algorithm" : err);
            return 1;
        }

        /* as the module fills it in for an Okta org authorization server */

        memset(&a, 0, sizeof(a));
        a.pkey = pkey;
        a.alg = alg;
        a.kid = "bench-key-1";
        a.client_id = "0oankrk0rjarA9xiK0h7";
        a.audience = "https://example.okta.com/oauth2/v1/token";
        a.scope = "okta.users.read okta.groups.read";
        a.lifetime = 300;
        a.now = time(NULL);

        /* a warm-up, then the samples */

        (void) sign_bench_body(&a, seconds / 10, samples);

        n = sign_bench_body(&a, seconds, samples);
        qsort(samples, n, sizeof(double), sign_bench_cmp);
        med = sign_bench_pct(samples, n, 50);
        p10 = sign_bench_pct(samples, n, 10);
        p90 = sign_bench_pct(samples, n, 90);

        m = sign_bench_jws(pkey, alg, seconds, samples);
        qsort(samples, m, sizeof(double), sign_bench_cmp);

        printf("%s\t%s\t%zu\t%.1f\t%.1f\t%.1f\t%.1f\n", name, alg_name, n,
               med, p10, p90, sign_bench_pct(samples, m, 50));

        EVP_PKEY_free(pkey);
    }

    return 0;
}
