
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The backoff after a failed token request, read from its result: no
 * new attempt before it ends, in any worker.  Server errors, timeouts
 * and bad answers back off 1 s, then twice as long each time, up to a
 * minute; a 429 waits as long as the server says; a client refused as
 * misconfigured (400, 401, 403) waits a minute and up to ten, and the
 * log says what to check.  Failures of our own (memory, signing) and a
 * worker's exit set none.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_uint_t ngx_http_oauth2_client_backoff_dpop(
    ngx_http_oauth2_client_result_t *res);
static const char *ngx_http_oauth2_client_backoff_hint(
    ngx_http_oauth2_client_result_t *res);


void
ngx_http_oauth2_client_backoff(ngx_http_oauth2_client_result_t *res,
    ngx_http_oauth2_client_outcome_t *out, const char **hint)
{
    *hint = "";

    out->min = NGX_HTTP_OAUTH2_CLIENT_BACKOFF_MIN;
    out->max = NGX_HTTP_OAUTH2_CLIENT_BACKOFF_MAX;
    out->wait = 0;

    switch (res->class) {

    case NGX_HTTP_OAUTH2_CLIENT_OK:
    case NGX_HTTP_OAUTH2_CLIENT_INTERNAL:
    case NGX_HTTP_OAUTH2_CLIENT_CANCELED:
        out->min = 0;
        out->max = 0;
        return;

    case NGX_HTTP_OAUTH2_CLIENT_HTTP_429:
        out->wait = res->retry;
        return;

    case NGX_HTTP_OAUTH2_CLIENT_HTTP_4XX:

        if (res->status == NGX_HTTP_BAD_REQUEST
            || res->status == NGX_HTTP_UNAUTHORIZED
            || res->status == NGX_HTTP_FORBIDDEN)
        {
            out->min = NGX_HTTP_OAUTH2_CLIENT_REFUSED_MIN;
            out->max = NGX_HTTP_OAUTH2_CLIENT_REFUSED_MAX;
            res->dpop_refused = ngx_http_oauth2_client_backoff_dpop(res);
            *hint = ngx_http_oauth2_client_backoff_hint(res);
        }

        return;

    default:
        return;
    }
}


/*
 * A refusal of DPoP: a nonce refused twice, or an error or description
 * that names DPoP (Okta: invalid_dpop_proof, also for a missing proof;
 * others: invalid_request "... DPoP proof is required ...").  It is
 * $oauth2_token_status DPOP for the request that made the token request.
 */

static ngx_uint_t
ngx_http_oauth2_client_backoff_dpop(ngx_http_oauth2_client_result_t *res)
{
    return res->nonce_twice
           || ngx_strcasestrn((u_char *) res->error, "dpop", 4 - 1) != NULL
           || ngx_strcasestrn((u_char *) res->description, "dpop", 4 - 1)
              != NULL;
}


/* what to check, from the OAuth 2.0 error the server sent */

static const char *
ngx_http_oauth2_client_backoff_hint(ngx_http_oauth2_client_result_t *res)
{
    if (ngx_strcmp(res->error, "invalid_client") == 0) {
        return ": the server does not accept the client; check client_id, "
               "key_id, private_key (its public key registered with the "
               "server) and that token_endpoint is the URL the server "
               "expects";
    }

    if (ngx_strcmp(res->error, "invalid_scope") == 0) {
        return ": check scope against the scopes granted to the client";
    }

    if (ngx_strcmp(res->error, "unauthorized_client") == 0
        || ngx_strcmp(res->error, "unsupported_grant_type") == 0)
    {
        return ": the client must be allowed the client credentials grant";
    }

    if (res->nonce_twice) {
        return ": the server refused the DPoP nonce it asked for, twice in "
               "a row";
    }

    if (res->dpop_refused) {
        if (!res->dpop) {
            return ": the client requires DPoP: set \"dpop on\" in its "
                   "oauth2_client block";
        }

        return ": the server refused the DPoP proof: check the clock of "
               "this host (iat) and that token_endpoint is the URL the "
               "server is reached at (htu)";
    }

    return ": likely a configuration error of the client or of its "
           "settings on the server";
}
