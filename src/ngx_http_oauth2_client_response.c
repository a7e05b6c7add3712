
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * What the token endpoint answered, classified once: the class of a
 * failure, the HTTP status, the OAuth 2.0 error, the wait the server
 * asks for, and the cause for the log; or the token.  The backoff, the
 * log line and the waiters read this, never the messages.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_int_t ngx_http_oauth2_client_response_check(
    ngx_http_oauth2_client_request_t *rq,
    ngx_http_oauth2_client_result_t *res);
static void ngx_http_oauth2_client_response_token(
    ngx_http_oauth2_client_request_t *rq, ngx_pool_t *pool,
    ngx_http_oauth2_client_result_t *res);
static ngx_uint_t ngx_http_oauth2_client_response_class(ngx_uint_t status);
static void ngx_http_oauth2_client_response_nonce(ngx_http_upstream_t *u,
    ngx_pool_t *pool, ngx_http_oauth2_client_result_t *res);
static ngx_msec_t ngx_http_oauth2_client_rate_wait(ngx_http_upstream_t *u);


void
ngx_http_oauth2_client_response_read(ngx_http_oauth2_client_request_t *rq,
    ngx_pool_t *pool, ngx_http_oauth2_client_result_t *res)
{
    if (ngx_http_oauth2_client_response_check(rq, res) == NGX_OK) {

        /* every DPoP-Nonce, with a token or a refusal, is the one to use */

        if (res->dpop) {
            ngx_http_oauth2_client_response_nonce(rq->subrequest->upstream,
                                                  pool, res);
        }

        ngx_http_oauth2_client_response_token(rq, pool, res);
    }
}


/* NGX_OK: a whole response, to be parsed; else res says what went wrong */

static ngx_int_t
ngx_http_oauth2_client_response_check(ngx_http_oauth2_client_request_t *rq,
    ngx_http_oauth2_client_result_t *res)
{
    u_char                    *last;
    ngx_uint_t                 status;
    ngx_table_elt_t           *ce;
    ngx_http_request_t        *sr;
    ngx_http_upstream_t       *u;
    ngx_http_core_loc_conf_t  *clcf;

    sr = rq->subrequest;
    u = sr->upstream;
    last = res->msg + sizeof(res->msg) - 1;

    /* the status nginx gave the subrequest, an error page's included */

    status = sr->headers_out.status;

    if (status == 0 && rq->rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        status = rq->rc;
    }

    if (u == NULL) {
        res->class = NGX_HTTP_OAUTH2_CLIENT_NO_RESPONSE;
        *ngx_slprintf(res->msg, last, "token endpoint location \"%V\" not "
                      "found or without proxy_pass (status %ui)",
                      rq->location, status) = '\0';
        return NGX_DECLINED;
    }

    /*
     * An answer whose first line is no HTTP status line is taken by
     * nginx for an HTTP/0.9 response ("upstream sent no valid HTTP/1.0
     * header"): a 200 for the upstream's state, no status of its own.
     */

    if (u->headers_in.status_n == 0
        && u->state != NULL
        && u->state->status == NGX_HTTP_OK)
    {
        res->class = NGX_HTTP_OAUTH2_CLIENT_INVALID;
        *ngx_slprintf(res->msg, last, "no valid HTTP status line in the "
                      "answer of the token endpoint through \"%V\" (see the "
                      "upstream error above)", rq->location) = '\0';
        return NGX_DECLINED;
    }

    if (u->headers_in.status_n == 0) {
        res->class = (status == NGX_HTTP_GATEWAY_TIME_OUT)
                     ? NGX_HTTP_OAUTH2_CLIENT_TIMEOUT
                     : NGX_HTTP_OAUTH2_CLIENT_NO_RESPONSE;
        *ngx_slprintf(res->msg, last, "no response from the token endpoint "
                      "through \"%V\" (status %ui, see the upstream error "
                      "above)", rq->location, status) = '\0';
        return NGX_DECLINED;
    }

    status = u->headers_in.status_n;
    res->status = status;

    if (rq->too_big) {
        clcf = ngx_http_get_module_loc_conf(sr, ngx_http_core_module);

        res->class = NGX_HTTP_OAUTH2_CLIENT_TOO_LARGE;
        *ngx_slprintf(res->msg, last, "token endpoint response (HTTP %ui) "
                      "larger than subrequest_output_buffer_size (%uz): "
                      "raise it in location \"%V\"", status,
                      clcf->subrequest_output_buffer_size,
                      rq->location) = '\0';
        return NGX_DECLINED;
    }

    if (rq->rc == NGX_ERROR || !rq->complete) {
        res->class = NGX_HTTP_OAUTH2_CLIENT_INVALID;
        *ngx_slprintf(res->msg, last, "token endpoint response (HTTP %ui) "
                      "is incomplete, see the upstream error above",
                      status) = '\0';
        return NGX_DECLINED;
    }

    ce = sr->headers_out.content_encoding;

    if (ce != NULL && ce->hash != 0 && ce->value.len
        && !(ce->value.len == 8
             && ngx_strncasecmp(ce->value.data, (u_char *) "identity", 8)
                == 0))
    {
        res->class = NGX_HTTP_OAUTH2_CLIENT_INVALID;
        *ngx_slprintf(res->msg, last, "token endpoint response (HTTP %ui) "
                      "is encoded with \"%V\", which is not supported",
                      status, &ce->value) = '\0';
        return NGX_DECLINED;
    }

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        res->retry = ngx_http_oauth2_client_rate_wait(u);
    }

    return NGX_OK;
}


/* the token is parsed straight into its header value */

static void
ngx_http_oauth2_client_response_token(ngx_http_oauth2_client_request_t *rq,
    ngx_pool_t *pool, ngx_http_oauth2_client_result_t *res)
{
    int                              rc;
    char                             err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char                          *body;
    size_t                           len;
    ngx_http_oauth2_client_token_t   tok;

    if (rq->response != NULL) {
        body = rq->response->pos;
        len = rq->response->last - rq->response->pos;

    } else {
        body = (u_char *) "";
        len = 0;
    }

    tok.access_token = NULL;

    if (res->status == NGX_HTTP_OK) {
        res->value.data = ngx_pnalloc(pool,
                                      NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN + len);
        if (res->value.data == NULL) {
            res->class = NGX_HTTP_OAUTH2_CLIENT_INTERNAL;
            ngx_cpystrn(res->msg, (u_char *) "no memory for the token",
                        sizeof(res->msg));
            return;
        }

        /* the scheme is known after the parse: room for the longer */

        tok.access_token = res->value.data + NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN;
    }

    rc = ngx_http_oauth2_client_token_parse((unsigned) res->status, body, len,
                                            &tok, err, sizeof(err));

    if (rc != 0) {
        res->class = ngx_http_oauth2_client_response_class(res->status);
        ngx_str_null(&res->value);

        ngx_memcpy(res->error, tok.error, sizeof(res->error));
        ngx_memcpy(res->description, tok.error_description,
                   sizeof(res->description));

        /* Okta's errorCode and errorSummary: for the status only */

        ngx_memcpy(res->error_code, tok.error_code, sizeof(res->error_code));
        ngx_memcpy(res->error_summary, tok.error_summary,
                   sizeof(res->error_summary));

        *ngx_slprintf(res->msg, res->msg + sizeof(res->msg) - 1,
                      "token request failed: %s", err) = '\0';
        return;
    }

    /*
     * A DPoP token is bound to a key we did not prove: no resource server
     * would take it.  A Bearer token for a DPoP request is the server's
     * choice (RFC 9449 5): it is used as Bearer.
     */

    if (tok.dpop && !res->dpop) {
        ngx_explicit_memzero(tok.access_token, tok.access_token_len);
        ngx_str_null(&res->value);
        res->class = NGX_HTTP_OAUTH2_CLIENT_INVALID;
        ngx_cpystrn(res->msg, (u_char *) "token request failed: token_type "
                    "DPoP, but the client sends no DPoP proof: set \"dpop "
                    "on\"", sizeof(res->msg));
        return;
    }

    res->dpop_token = tok.dpop ? 1 : 0;

    if (tok.dpop) {
        res->value.data += NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN
                           - NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN;
        ngx_memcpy(res->value.data, NGX_HTTP_OAUTH2_CLIENT_DPOP,
                   NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN);
        res->value.len = NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN;

    } else {
        ngx_memcpy(res->value.data, NGX_HTTP_OAUTH2_CLIENT_BEARER,
                   NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN);
        res->value.len = NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN;
    }

    res->token.data = res->value.data + res->value.len;
    res->token.len = tok.access_token_len;
    res->value.len += tok.access_token_len;

    res->class = NGX_HTTP_OAUTH2_CLIENT_OK;
    res->expires_in = tok.expires_in;
    res->capped = tok.expires_in_capped;
}


/* the last valid DPoP-Nonce header of the answer, copied */

static void
ngx_http_oauth2_client_response_nonce(ngx_http_upstream_t *u,
    ngx_pool_t *pool, ngx_http_oauth2_client_result_t *res)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found;

    found = NULL;

    part = &u->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("DPoP-Nonce") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "DPoP-Nonce",
                               h[i].key.len) == 0
            && ngx_http_oauth2_client_dpop_nonce_valid(h[i].value.data,
                                                       h[i].value.len))
        {
            found = &h[i];
        }
    }

    if (found == NULL) {
        return;
    }

    res->nonce.data = ngx_pnalloc(pool, found->value.len);
    if (res->nonce.data == NULL) {
        return;
    }

    ngx_memcpy(res->nonce.data, found->value.data, found->value.len);
    res->nonce.len = found->value.len;
}


static ngx_uint_t
ngx_http_oauth2_client_response_class(ngx_uint_t status)
{
    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        return NGX_HTTP_OAUTH2_CLIENT_HTTP_429;
    }

    if (status >= 400 && status < 500) {
        return NGX_HTTP_OAUTH2_CLIENT_HTTP_4XX;
    }

    if (status >= 500 && status < 600) {
        return NGX_HTTP_OAUTH2_CLIENT_HTTP_5XX;
    }

    /* a 200 that is no token, a redirect, a 204: no token endpoint's */

    return NGX_HTTP_OAUTH2_CLIENT_INVALID;
}


/*
 * How long a 429 asks to wait: until X-Rate-Limit-Reset (epoch seconds,
 * taken relative to the response's Date, so that clock skew does not
 * matter), or Retry-After (seconds or a date).  Where several headers
 * say it, the longest wait any of them gives counts: a server that sends
 * two has no reason to be taken at its shorter word.  0 when none says.
 */

static ngx_msec_t
ngx_http_oauth2_client_rate_wait(ngx_http_upstream_t *u)
{
    time_t            now, t, wait;
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    now = ngx_time();

    if (u->headers_in.date != NULL) {
        t = ngx_parse_http_time(u->headers_in.date->value.data,
                                u->headers_in.date->value.len);
        if (t != NGX_ERROR) {
            now = t;
        }
    }

    wait = 0;
    found = 0;

    part = &u->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        /* each made a wait in seconds from now: no sum that may overflow */

        if (h[i].key.len == sizeof("X-Rate-Limit-Reset") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "X-Rate-Limit-Reset",
                               h[i].key.len) == 0)
        {
            t = ngx_atotm(h[i].value.data, h[i].value.len);
            if (t == NGX_ERROR) {
                continue;
            }

            t -= now;

        } else if (h[i].key.len == sizeof("Retry-After") - 1
                   && ngx_strncasecmp(h[i].key.data, (u_char *) "Retry-After",
                                      h[i].key.len) == 0)
        {
            t = ngx_atotm(h[i].value.data, h[i].value.len);

            if (t == NGX_ERROR) {
                t = ngx_parse_http_time(h[i].value.data, h[i].value.len);
                if (t == NGX_ERROR) {
                    continue;
                }

                t -= now;
            }

        } else {
            continue;
        }

        if (!found || t > wait) {
            wait = t;
            found = 1;
        }
    }

    if (!found) {
        return 0;
    }

    /*
     * A second at least, an hour at most: a server's word within reason.
     * The cap is compared in seconds, before any multiplication, so that
     * no value, however far ahead, wraps around to a short wait.
     */

    if (wait < 1) {
        return NGX_HTTP_OAUTH2_CLIENT_RATE_MIN;
    }

    if (wait >= (time_t) (NGX_HTTP_OAUTH2_CLIENT_RATE_MAX / 1000)) {
        return NGX_HTTP_OAUTH2_CLIENT_RATE_MAX;
    }

    return (ngx_msec_t) wait * 1000;
}
