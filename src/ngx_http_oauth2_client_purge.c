
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * oauth2_token_purge: the upstream refused the token a request carried,
 * so no other request gets it; the next one fetches a new one.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_int_t ngx_http_oauth2_client_header_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


ngx_int_t
ngx_http_oauth2_client_purge_init(ngx_conf_t *cf)
{
    /* the header filter sees the upstream's 401s */

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_oauth2_client_header_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_header_filter(ngx_http_request_t *r)
{
    u_char                              fp[9];
    size_t                              n;
    ngx_int_t                           rc;
    ngx_http_oauth2_client_ctx_t       *ctx;
    ngx_http_oauth2_client_loc_conf_t  *olcf;

    if (r->headers_out.status != NGX_HTTP_UNAUTHORIZED
        || r->upstream == NULL)
    {
        return ngx_http_next_header_filter(r);
    }

    /*
     * The request's own context: a subrequest carries a token of its
     * own (an SSI include, an auth_request), refused by its upstream
     * as a main request's may be.
     */

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);
    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth2_client_module);

    /*
     * A DPoP nonce challenge, or invalid_dpop_proof, refuses the proof,
     * not the token
     */

    if (ctx == NULL || !ctx->injected || !olcf->purge || ctx->nonce_challenge
        || ctx->proof_refused || ctx->client != olcf->client
        || ctx->request != r)
    {
        return ngx_http_next_header_filter(r);
    }

    rc = ngx_http_oauth2_client_cache_purge(ctx->client->shm_zone,
                                            ctx->client, ctx->generation);

    if (rc == NGX_OK || rc == NGX_BUSY) {

        /* "Bearer <token>" or "DPoP <token>" */

        n = (ctx->value.data[0] == 'D') ? NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN
                                        : NGX_HTTP_OAUTH2_CLIENT_BEARER_LEN;

        ngx_http_oauth2_client_token_fingerprint(ctx->value.data + n,
                                                 ctx->value.len - n,
                                                 (char *) fp);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "oauth2 client \"%V\": the upstream answered 401 to "
                      "token sha256:%s, %s", &ctx->client->name, fp,
                      rc == NGX_OK ? "dropped from the cache"
                                   : "kept: it replaced a dropped token "
                                     "less than 10 s ago");
    }

    return ngx_http_next_header_filter(r);
}
