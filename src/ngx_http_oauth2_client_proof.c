
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * DPoP on the request path (RFC 9449 7): the proof of a request that
 * carries a DPoP-bound token, made afresh for it (htm its method, htu
 * the URL the upstream receives, ath the token's hash, the resource
 * server's nonce when it sent one), and the header filter that keeps
 * the nonces a resource server sends.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"
#include "ngx_http_oauth2_client_challenge.h"


static ngx_int_t ngx_http_oauth2_client_proof_htu(ngx_http_request_t *r,
    ngx_http_oauth2_client_conf_t *client, ngx_str_t *htu);
static uintptr_t ngx_http_oauth2_client_proof_escape(u_char *dst,
    u_char *src, size_t size);
static ngx_int_t ngx_http_oauth2_client_proof_filter(ngx_http_request_t *r);
static ngx_uint_t ngx_http_oauth2_client_proof_nonce(ngx_http_request_t *r,
    ngx_uint_t unauthorized, ngx_str_t *nonce, ngx_str_t *bad,
    ngx_str_t *description);


/* what a resource server's 401 refused: the proof, not the token */
#define NGX_HTTP_OAUTH2_CLIENT_REFUSED_NONE   0
#define NGX_HTTP_OAUTH2_CLIENT_REFUSED_NONCE  1   /* use_dpop_nonce */
#define NGX_HTTP_OAUTH2_CLIENT_REFUSED_PROOF  2   /* invalid_dpop_proof */


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/* the filter only where a client has DPoP on: nothing for the others */

ngx_int_t
ngx_http_oauth2_client_proof_init(ngx_conf_t *cf)
{
    ngx_uint_t                           i;
    ngx_http_oauth2_client_conf_t      **clients;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    omcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_oauth2_client_module);
    clients = omcf->clients.elts;

    for (i = 0; i < omcf->clients.nelts; i++) {
        if (clients[i]->dpop) {
            ngx_http_next_header_filter = ngx_http_top_header_filter;
            ngx_http_top_header_filter = ngx_http_oauth2_client_proof_filter;
            break;
        }
    }

    return NGX_OK;
}


/*
 * *proof, in r's pool, for r, whose ctx->value is "DPoP <token>".  An
 * HTTP status when r itself cannot have one (a URL or method longer than
 * a proof takes: the client's doing, logged at info), NGX_ERROR else.
 */

ngx_int_t
ngx_http_oauth2_client_proof(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_str_t *proof)
{
    size_t                                 size, len;
    u_char                                *buf;
    ngx_str_t                              token, htu;
    ngx_http_oauth2_client_conf_t         *client;
    ngx_http_oauth2_client_dpop_claims_t   claims;
    char                                   err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char                                 nonce[
                                           NGX_HTTP_OAUTH2_CLIENT_ZONE_NONCE];

    client = ctx->client;

    token.data = ctx->value.data + NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN;
    token.len = ctx->value.len - NGX_HTTP_OAUTH2_CLIENT_DPOP_LEN;

    /* one hash a token and worker, not one a request */

    if (client->ath_generation != ctx->generation || ctx->generation == 0) {
        if (ngx_http_oauth2_client_dpop_ath(token.data, token.len,
                                            client->ath)
            != 0)
        {
            goto failed;
        }

        client->ath_generation = ctx->generation;
    }

    if (ngx_http_oauth2_client_proof_htu(r, client, &htu) != NGX_OK) {
        goto failed;
    }

    ngx_memzero(&claims, sizeof(ngx_http_oauth2_client_dpop_claims_t));

    claims.htm = r->method_name.data;
    claims.htm_len = r->method_name.len;
    claims.htu = htu.data;
    claims.htu_len = ngx_http_oauth2_client_dpop_htu_len(htu.data, htu.len);

    if (claims.htu_len > NGX_HTTP_OAUTH2_CLIENT_HTU_MAX) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "oauth2 client \"%V\": no DPoP proof for a URL of "
                      "%uz bytes, at most %d are taken", &client->name,
                      claims.htu_len, NGX_HTTP_OAUTH2_CLIENT_HTU_MAX);

        return NGX_HTTP_REQUEST_URI_TOO_LARGE;
    }

    if (claims.htm_len > NGX_HTTP_OAUTH2_CLIENT_HTM_MAX) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "oauth2 client \"%V\": no DPoP proof for a method of "
                      "%uz bytes, at most %d are taken", &client->name,
                      claims.htm_len, NGX_HTTP_OAUTH2_CLIENT_HTM_MAX);

        return NGX_HTTP_NOT_ALLOWED;
    }
    claims.ath = (u_char *) client->ath;
    claims.ath_len = NGX_HTTP_OAUTH2_CLIENT_ATH_LEN;
    claims.iat = ngx_time();

    /* the resource servers' nonce, which any worker may have learnt */

    len = ngx_http_oauth2_client_cache_nonce_get(client->shm_zone, client,
                                            NGX_HTTP_OAUTH2_CLIENT_NONCE_API,
                                            nonce);
    if (len) {
        claims.nonce = nonce;
        claims.nonce_len = len;
        ngx_memcpy(client->api_nonce, nonce, len);
    }

    /* what the header filter compares a DPoP-Nonce with, lock-free */
    client->api_nonce_len = len;

    size = ngx_http_oauth2_client_dpop_proof_size(&client->dpop_ctx, &claims);
    if (size == 0) {
        ngx_cpystrn((u_char *) err, (u_char *) "no proof for this method or "
                    "htu", sizeof(err));
        goto refused;
    }

    buf = ngx_pnalloc(r->pool, size);
    if (buf == NULL) {
        goto failed;
    }

    if (ngx_http_oauth2_client_dpop_proof(&client->dpop_ctx, &claims, buf,
                                          size, &len, err, sizeof(err))
        != 0)
    {
        goto refused;
    }

    proof->data = buf;
    proof->len = len;

    return NGX_OK;

refused:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "oauth2 client \"%V\": could not make the DPoP proof of "
                  "the request: %s", &client->name, err);

    return NGX_ERROR;

failed:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "oauth2 client \"%V\": could not make the DPoP proof of "
                  "the request", &client->name);

    return NGX_ERROR;
}


/*
 * htu: oauth2_dpop_htu of the location, or the scheme and authority of
 * the token endpoint (Okta's APIs are on its host) with the path the
 * upstream receives from a proxy_pass without a URI: the request's, as
 * it came, or escaped after a rewrite.  Bytes a URI cannot hold as they
 * are (a path's raw UTF-8, or bytes that are not UTF-8 at all) are
 * percent-encoded, as the server does to compare (RFC 3986 2.1, 6.2.2).
 */

static ngx_int_t
ngx_http_oauth2_client_proof_htu(ngx_http_request_t *r,
    ngx_http_oauth2_client_conf_t *client, ngx_str_t *htu)
{
    u_char                             *p, *q, *last;
    size_t                              len, origin;
    uintptr_t                           n;
    ngx_uint_t                          type;
    ngx_http_oauth2_client_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth2_client_module);

    if (olcf->dpop_htu != NULL) {
        if (ngx_http_complex_value(r, olcf->dpop_htu, htu) != NGX_OK) {
            return NGX_ERROR;
        }

        p = htu->data;
        len = htu->len;
        origin = 0;
        type = 0;

    } else if (r->valid_unparsed_uri) {
        p = r->unparsed_uri.data;
        last = p + r->unparsed_uri.len;
        q = ngx_strlchr(p, last, '?');
        len = (q != NULL ? q : last) - p;
        origin = client->origin_len;
        type = 0;

    } else {
        p = r->uri.data;
        len = r->uri.len;
        origin = client->origin_len;
        type = 1;
    }

    n = type ? ngx_escape_uri(NULL, p, len, NGX_ESCAPE_URI)
             : ngx_http_oauth2_client_proof_escape(NULL, p, len);

    if (origin == 0 && n == 0) {
        return NGX_OK;
    }

    htu->len = origin + len + 2 * n;

    htu->data = ngx_pnalloc(r->pool, htu->len);
    if (htu->data == NULL) {
        return NGX_ERROR;
    }

    q = ngx_cpymem(htu->data, client->token_endpoint.data, origin);

    if (n == 0) {
        ngx_memcpy(q, p, len);

    } else if (type) {
        (void) ngx_escape_uri(q, p, len, NGX_ESCAPE_URI);

    } else {
        (void) ngx_http_oauth2_client_proof_escape(q, p, len);
    }

    return NGX_OK;
}


/*
 * Like ngx_escape_uri(), for a URI that is one already: only the bytes
 * outside 0x21..0x7e; a '%' stays, it is an escape of the client's.
 */

static uintptr_t
ngx_http_oauth2_client_proof_escape(u_char *dst, u_char *src, size_t size)
{
    uintptr_t      n;
    static u_char  hex[] = "0123456789ABCDEF";

    if (dst == NULL) {
        n = 0;

        while (size) {
            if (*src < 0x21 || *src > 0x7e) {
                n++;
            }

            src++;
            size--;
        }

        return n;
    }

    while (size) {
        if (*src < 0x21 || *src > 0x7e) {
            *dst++ = '%';
            *dst++ = hex[*src >> 4];
            *dst++ = hex[*src & 0xf];
            src++;

        } else {
            *dst++ = *src++;
        }

        size--;
    }

    return 0;
}


/*
 * A resource server may send a new DPoP-Nonce with any answer (RFC 9449
 * 8.2, 9): one to a request that carried a DPoP token of ours is kept in
 * the zone for the client's next proofs, in every worker; the lock is
 * taken only when it is not the one this worker knows.  One that wants
 * a nonce answers 401 with `WWW-Authenticate: DPoP
 * error="use_dpop_nonce"`: the token is not purged for it, and the
 * refused request gets the 401 as it is: only a client may send it again.
 * Nor is it purged for `error="invalid_dpop_proof"`: the proof was
 * refused, most often its htu (a proxy_pass with a URI part, or a
 * server reached under another name).
 */

static ngx_int_t
ngx_http_oauth2_client_proof_filter(ngx_http_request_t *r)
{
    ngx_str_t                       nonce, bad, description;
    ngx_uint_t                      challenge, keep;
    ngx_http_oauth2_client_ctx_t   *ctx;
    ngx_http_oauth2_client_conf_t  *client;

    if (r->upstream == NULL) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);

    if (ctx == NULL || !ctx->injected || ctx->value.data[0] != 'D') {
        return ngx_http_next_header_filter(r);
    }

    client = ctx->client;

    challenge = ngx_http_oauth2_client_proof_nonce(r,
                          r->headers_out.status == NGX_HTTP_UNAUTHORIZED,
                          &nonce, &bad, &description);

    keep = (nonce.len != 0 && nonce.len <= NGX_HTTP_OAUTH2_CLIENT_ZONE_NONCE);

    if (keep
        && (nonce.len != client->api_nonce_len
            || ngx_memcmp(nonce.data, client->api_nonce, nonce.len) != 0))
    {
        ngx_http_oauth2_client_cache_nonce_set(client->shm_zone, client,
                                            NGX_HTTP_OAUTH2_CLIENT_NONCE_API,
                                            &nonce);

        ngx_memcpy(client->api_nonce, nonce.data, nonce.len);
        client->api_nonce_len = nonce.len;

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "oauth2 client \"%V\": a new DPoP nonce from the "
                       "upstream", &client->name);
    }

    if (challenge == NGX_HTTP_OAUTH2_CLIENT_REFUSED_NONE) {
        return ngx_http_next_header_filter(r);
    }

    if (challenge == NGX_HTTP_OAUTH2_CLIENT_REFUSED_PROOF) {
        ctx->proof_refused = 1;

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "oauth2 client \"%V\": the upstream refused the DPoP "
                      "proof (invalid_dpop_proof: \"%V\"), the token is "
                      "kept: if htu is not the URL the upstream sees, set "
                      "oauth2_dpop_htu", &client->name, &description);

        return ngx_http_next_header_filter(r);
    }

    ctx->nonce_challenge = 1;

    if (keep) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "oauth2 client \"%V\": the upstream asks for a DPoP "
                      "nonce: the next requests carry it", &client->name);

    } else if (bad.data != NULL) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "oauth2 client \"%V\": the upstream asks for a DPoP "
                      "nonce but its DPoP-Nonce of %uz bytes is not valid "
                      "(1 to %d visible characters, no quote or "
                      "backslash)", &client->name, bad.len,
                      NGX_HTTP_OAUTH2_CLIENT_NONCE_MAX);

    } else {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "oauth2 client \"%V\": the upstream asks for a DPoP "
                      "nonce but sent no DPoP-Nonce", &client->name);
    }

    return ngx_http_next_header_filter(r);
}


/*
 * nonce: the upstream's valid DPoP-Nonce, if any, bad: one that is not
 * valid (the last of each kind); when it answered 401
 * (unauthorized) with a DPoP challenge: use_dpop_nonce (first), or
 * invalid_dpop_proof with its description (in r's pool), or none
 */

static ngx_uint_t
ngx_http_oauth2_client_proof_nonce(ngx_http_request_t *r,
    ngx_uint_t unauthorized, ngx_str_t *nonce, ngx_str_t *bad,
    ngx_str_t *description)
{
    size_t                              len;
    ngx_uint_t                          i, found;
    ngx_list_part_t                    *part;
    ngx_table_elt_t                    *h;
    ngx_http_oauth2_client_challenge_t  ch;

    found = NGX_HTTP_OAUTH2_CLIENT_REFUSED_NONE;
    ngx_str_null(nonce);
    ngx_str_null(bad);
    ngx_str_null(description);

    part = &r->upstream->headers_in.headers.part;
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

        if (unauthorized
            && h[i].key.len == sizeof("WWW-Authenticate") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "WWW-Authenticate",
                               h[i].key.len) == 0)
        {
            ngx_memzero(&ch, sizeof(ngx_http_oauth2_client_challenge_t));

            (void) ngx_http_oauth2_client_challenge_parse(h[i].value.data,
                                                          h[i].value.len,
                                                          "DPoP", &ch);
            if (ch.use_dpop_nonce) {
                found = NGX_HTTP_OAUTH2_CLIENT_REFUSED_NONCE;

            } else if (found == NGX_HTTP_OAUTH2_CLIENT_REFUSED_NONE
                       && ngx_strcmp(ch.error, "invalid_dpop_proof") == 0)
            {
                found = NGX_HTTP_OAUTH2_CLIENT_REFUSED_PROOF;

                len = ngx_strlen(ch.error_description);

                description->data = ngx_pnalloc(r->pool, len);
                if (description->data != NULL) {
                    ngx_memcpy(description->data, ch.error_description, len);
                    description->len = len;
                }
            }

        } else if (h[i].key.len == sizeof("DPoP-Nonce") - 1
                   && ngx_strncasecmp(h[i].key.data, (u_char *) "DPoP-Nonce",
                                      h[i].key.len) == 0)
        {
            if (ngx_http_oauth2_client_dpop_nonce_valid(h[i].value.data,
                                                        h[i].value.len))
            {
                *nonce = h[i].value;

            } else {
                *bad = h[i].value;
            }
        }
    }

    return found;
}
