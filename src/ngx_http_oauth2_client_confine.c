
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Where the token goes: on the request whose location has its client,
 * and nowhere else.  A subrequest starts with a struct copy of its
 * parent's headers_in (the element arrays of the header list shared,
 * the parts past the first shared whole) and shares its parent's cache
 * of variable values, so the token is never written into a header list
 * that another request may see: the request that carries it gets a new
 * list of its own, and every request that must not carry it has it
 * taken away before its location's directives run.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_int_t ngx_http_oauth2_client_server_rewrite_handler(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_oauth2_client_rewrite_handler(
    ngx_http_request_t *r);
static ngx_http_oauth2_client_ctx_t *ngx_http_oauth2_client_record(
    ngx_http_request_t *r, ngx_table_elt_t *h);
static void ngx_http_oauth2_client_restore(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *rec);
static ngx_inline ngx_uint_t ngx_http_oauth2_client_marked(
    ngx_table_elt_t *h);
static ngx_int_t ngx_http_oauth2_client_own_state(ngx_http_request_t *r,
    ngx_uint_t room);
static ngx_int_t ngx_http_oauth2_client_copy_headers(ngx_http_request_t *r,
    ngx_list_t *dst, ngx_list_t *src, ngx_uint_t room);
static ngx_inline ngx_table_elt_t *ngx_http_oauth2_client_copy_elts(
    ngx_table_elt_t *d, ngx_list_t *src);
static void ngx_http_oauth2_client_drop_dpop(ngx_list_t *list,
    ngx_uint_t all);
static ngx_http_variable_value_t *ngx_http_oauth2_client_fresh_variables(
    ngx_http_request_t *r);
static void ngx_http_oauth2_client_forget_variables(ngx_http_request_t *r);
static ngx_inline void ngx_http_oauth2_client_flush(
    ngx_http_request_t *r);


/*
 * The lowcase_key of every Authorization element the module makes: an
 * element is the module's if and only if it points here.  A client's
 * header points into the request's own buffer, another module's to its
 * own string: neither can pass for ours.
 */

static u_char  ngx_http_oauth2_client_authorization_key[] = "authorization";

static ngx_uint_t  ngx_http_oauth2_client_authorization_hash;

/* and of the DPoP element that goes with a DPoP-bound token */

static u_char  ngx_http_oauth2_client_dpop_key[] = "dpop";

static ngx_uint_t  ngx_http_oauth2_client_dpop_hash;


ngx_int_t
ngx_http_oauth2_client_confine_init(ngx_conf_t *cf)
{
    ngx_uint_t                           i;
    ngx_http_variable_t                 *v;
    ngx_http_handler_pt                 *h;
    ngx_http_core_main_conf_t           *cmcf;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    ngx_http_oauth2_client_dpop_hash =
                      ngx_hash_key(ngx_http_oauth2_client_dpop_key,
                                   sizeof("dpop") - 1);
    ngx_http_oauth2_client_authorization_hash =
                      ngx_hash_key(ngx_http_oauth2_client_authorization_key,
                                   sizeof("authorization") - 1);

    omcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_oauth2_client_module);
    omcf->authorization_variable = NGX_ERROR;
    omcf->dpop_variable = NGX_ERROR;

    /* no client, no token: nothing to confine, nothing to cost */

    if (omcf->clients.nelts == 0) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /*
     * $http_authorization (and $http_dpop, the proof) is cached where
     * the configuration uses it: its index is known now, every directive
     * that uses it has been read.  The name was lowercased when it was
     * indexed.
     */

    v = cmcf->variables.elts;

    for (i = 0; i < cmcf->variables.nelts; i++) {
        if (v[i].name.len == sizeof("http_authorization") - 1
            && ngx_strncmp(v[i].name.data, "http_authorization",
                           sizeof("http_authorization") - 1)
               == 0)
        {
            omcf->authorization_variable = i;

        } else if (v[i].name.len == sizeof("http_dpop") - 1
                   && ngx_strncmp(v[i].name.data, "http_dpop",
                                  sizeof("http_dpop") - 1)
                      == 0)
        {
            omcf->dpop_variable = i;
        }
    }

    /*
     * A phase runs its handlers last registered first: pushed at the end,
     * ours run before those of the rewrite module, so that no "set" or
     * "if" sees a token that is not for its location.
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_SERVER_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_oauth2_client_server_rewrite_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_oauth2_client_rewrite_handler;

    return NGX_OK;
}


/* the module's Authorization element on r, or NULL */

ngx_table_elt_t *
ngx_http_oauth2_client_credential(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = r->headers_in.authorization;

    return ngx_http_oauth2_client_marked(h) ? h : NULL;
}


static ngx_inline ngx_uint_t
ngx_http_oauth2_client_marked(ngx_table_elt_t *h)
{
    return h != NULL
           && h->lowcase_key == ngx_http_oauth2_client_authorization_key;
}


/*
 * The first phase of every subrequest and of every internal redirect;
 * the location is not known yet, only the server.  A subrequest that
 * inherited a token of a client other than the server's own loses it
 * here, before the server's rewrite directives run.  So does a main
 * request after an internal redirect (error_page, X-Accel-Redirect,
 * "rewrite ... last"), whatever its next location: the server's "set"
 * then writes into the clean values, which the request keeps should it
 * go to a location without the client, and the precontent phase puts
 * the token back on should it go to one of the same client.  Ours runs
 * before the rewrite module's handler: a phase runs its handlers last
 * registered first (ngx_http_init_phase_handlers()).
 */

static ngx_int_t
ngx_http_oauth2_client_server_rewrite_handler(ngx_http_request_t *r)
{
    ngx_str_t                           value;
    ngx_uint_t                          status;
    ngx_table_elt_t                    *h;
    ngx_http_oauth2_client_ctx_t       *rec;
    ngx_http_oauth2_client_loc_conf_t  *olcf;

    if (r == r->main && !r->internal) {
        return NGX_DECLINED;
    }

    h = r->headers_in.authorization;

    if (!ngx_http_oauth2_client_marked(h)) {
        return NGX_DECLINED;
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth2_client_module);

    rec = ngx_http_oauth2_client_record(r, h);

    if (r == r->main) {

        /*
         * The token is kept in the context (the header is gone): in a
         * location of the same client it goes on again, a DPoP one with
         * a new proof, with no lookup, and no second count for the
         * status.
         */

        if (rec != NULL && rec->request == r) {
            value = rec->value;
            status = rec->token_status;

            ngx_http_oauth2_client_restore(r, rec);

            rec->value = value;
            rec->token_status = status;
            rec->stripped = 1;

        } else {
            ngx_http_oauth2_client_restore(r, rec);
        }

        return NGX_DECLINED;
    }

    if (rec == NULL || rec->client != olcf->client) {
        ngx_http_oauth2_client_restore(r, rec);
    }

    return NGX_DECLINED;
}


/*
 * After the location is found, for every request (and first for a named
 * location): a token of a client other than the location's goes, before
 * the location's rewrite directives and its handler see it.  In a
 * location of the same client it stays: a main request keeps it over an
 * internal redirect, and a subrequest gets a fresh one in the precontent
 * phase, or none.
 */

static ngx_int_t
ngx_http_oauth2_client_rewrite_handler(ngx_http_request_t *r)
{
    ngx_table_elt_t                    *h;
    ngx_http_oauth2_client_ctx_t       *rec;
    ngx_http_oauth2_client_loc_conf_t  *olcf;

    h = r->headers_in.authorization;

    if (!ngx_http_oauth2_client_marked(h)) {
        return NGX_DECLINED;
    }

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_oauth2_client_module);

    rec = ngx_http_oauth2_client_record(r, h);

    if (rec == NULL || rec->client != olcf->client) {
        ngx_http_oauth2_client_restore(r, rec);
    }

    return NGX_DECLINED;
}


/*
 * Sets ctx->value as the request's Authorization, in a header list of
 * the request's own: a copy of its list without any Authorization, plus
 * ours (and with a DPoP proof, without any DPoP, plus the proof).  The
 * list it had is left as it was, for whoever shares it (a mirror made
 * before, say), and kept as the clean state to go back to.  One
 * allocation, one pass over the elements.  Likewise the cache of
 * variable values: the request caches what it evaluates from now on
 * ($http_authorization, $http_dpop...) in a copy of its own, the array
 * it had is the clean one.
 */

ngx_int_t
ngx_http_oauth2_client_inject(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *ctx, ngx_str_t *proof)
{
    ngx_table_elt_t               *h;
    ngx_http_oauth2_client_ctx_t  *rec;

    h = r->headers_in.authorization;

    if (!ngx_http_oauth2_client_marked(h)) {
        ctx->clean = r->headers_in.headers;
        ctx->clean_authorization = h;
        ctx->clean_variables = r->variables;

    } else {

        /*
         * A subrequest that inherited its parent's token: the clean state
         * is the one its parent keeps, so that a clean state never holds
         * a token.  Without a record (it cannot happen, but should it),
         * a copy without the token.
         */

        rec = ngx_http_oauth2_client_record(r, h);

        if (rec != NULL) {
            ctx->clean = rec->clean;
            ctx->clean_authorization = rec->clean_authorization;
            ctx->clean_variables = rec->clean_variables;

        } else {
            if (ngx_http_oauth2_client_copy_headers(r, &ctx->clean,
                                                    &r->headers_in.headers, 0)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ngx_http_oauth2_client_drop_dpop(&ctx->clean, 1);

            ctx->clean_authorization = NULL;

            ctx->clean_variables = ngx_http_oauth2_client_fresh_variables(r);
            if (ctx->clean_variables == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    if (ngx_http_oauth2_client_own_state(r, proof != NULL ? 2 : 1)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * A proof of ours that came with an inherited token goes, whatever
     * the new token's type: a Bearer token must not go out with a
     * proof made for another request's DPoP token.
     */

    if (proof != NULL) {
        ngx_http_oauth2_client_drop_dpop(&r->headers_in.headers, 1);

    } else if (ngx_http_oauth2_client_marked(h)) {
        ngx_http_oauth2_client_drop_dpop(&r->headers_in.headers, 0);
    }

    /* the room for it (and a proof) is there, in the one part */

    if (proof != NULL) {
        h = (ngx_table_elt_t *) r->headers_in.headers.part.elts
            + r->headers_in.headers.part.nelts++;

        h->hash = ngx_http_oauth2_client_dpop_hash;
        ngx_str_set(&h->key, "DPoP");
        h->value = *proof;
        h->lowcase_key = ngx_http_oauth2_client_dpop_key;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif
    }

    h = (ngx_table_elt_t *) r->headers_in.headers.part.elts
        + r->headers_in.headers.part.nelts++;

    h->hash = ngx_http_oauth2_client_authorization_hash;
    ngx_str_set(&h->key, "Authorization");
    h->value = ctx->value;
    h->lowcase_key = ngx_http_oauth2_client_authorization_key;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    r->headers_in.authorization = h;

    ctx->header = h;
    ctx->injected = 1;

    ngx_http_oauth2_client_flush(r);

    return NGX_DECLINED;
}


/*
 * The hot path's copy of r's headers and of its variable values: r gets
 * a header list of one part with its elements but every Authorization,
 * and room for that many more, and a copy of its cache of variable
 * values, both in one allocation (the cache hit's cost: each pool
 * allocation is some 20 instructions).  The list is built in place: r's
 * list struct is written only once the memory is there, so a failure
 * leaves r as it was.  The old part arrays are read, never written.
 */

static ngx_int_t
ngx_http_oauth2_client_own_state(ngx_http_request_t *r, ngx_uint_t room)
{
    u_char                     *p;
    size_t                      vsize;
    ngx_uint_t                  n;
    ngx_list_t                 *list;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *d, *elts;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    list = &r->headers_in.headers;

    n = room;

    for (part = &list->part; part != NULL; part = part->next) {
        n += part->nelts;
    }

    /*
     * Both sizes are multiples of the size of a pointer: the array of
     * values that follows the elements is aligned as ngx_palloc() aligns.
     */

    vsize = cmcf->variables.nelts * sizeof(ngx_http_variable_value_t);

    p = ngx_palloc(r->pool, n * sizeof(ngx_table_elt_t) + vsize);
    if (p == NULL) {
        return NGX_ERROR;
    }

    elts = (ngx_table_elt_t *) p;
    d = elts;

    d = ngx_http_oauth2_client_copy_elts(d, list);

    p += n * sizeof(ngx_table_elt_t);

    ngx_memcpy(p, r->variables, vsize);

    list->part.elts = elts;
    list->part.nelts = d - elts;
    list->part.next = NULL;
    list->last = &list->part;
    list->size = sizeof(ngx_table_elt_t);
    list->nalloc = n;
    list->pool = r->pool;

    r->variables = (ngx_http_variable_value_t *) p;

    return NGX_OK;
}


/* takes the module's credential off r, wherever it came from */

void
ngx_http_oauth2_client_strip(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_http_oauth2_client_credential(r);

    if (h != NULL) {
        ngx_http_oauth2_client_restore(r, ngx_http_oauth2_client_record(r, h));
    }
}


/*
 * The record of the element h: the context of the request that made it.
 * The main request and all its subrequests share one pool, and every
 * context is a cleanup of that pool, found there even after an internal
 * redirect has wiped the module contexts of its request.
 */

static ngx_http_oauth2_client_ctx_t *
ngx_http_oauth2_client_record(ngx_http_request_t *r, ngx_table_elt_t *h)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_oauth2_client_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_oauth2_client_module);

    if (ctx != NULL && ctx->header == h) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln != NULL; cln = cln->next) {
        if (cln->handler == ngx_http_oauth2_client_ctx_cleanup) {
            ctx = cln->data;

            if (ctx->header == h) {
                return ctx;
            }
        }
    }

    return NULL;
}


/*
 * Puts r back in the clean state of the record: the list, the
 * Authorization and the variable values it had before the token (the
 * client's, or none), with nothing copied.  Without a record, the
 * fail-closed way: a copy of the list without the token, and values
 * all to be evaluated again.
 */

static void
ngx_http_oauth2_client_restore(ngx_http_request_t *r,
    ngx_http_oauth2_client_ctx_t *rec)
{
    ngx_uint_t                  i;
    ngx_list_t                  headers;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *h;
    ngx_http_variable_value_t  *vv;

    if (rec != NULL) {
        r->headers_in.headers = rec->clean;
        r->headers_in.authorization = rec->clean_authorization;
        r->variables = rec->clean_variables;

        if (rec->request == r) {
            rec->injected = 0;
            rec->header = NULL;
            rec->token_status = NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE;
            ngx_str_null(&rec->value);
        }

    } else {
        vv = ngx_http_oauth2_client_fresh_variables(r);

        if (vv != NULL
            && ngx_http_oauth2_client_copy_headers(r, &headers,
                                                   &r->headers_in.headers, 0)
               == NGX_OK)
        {
            ngx_http_oauth2_client_drop_dpop(&headers, 1);
            r->headers_in.headers = headers;
            r->headers_in.authorization = NULL;
            r->variables = vv;

        } else {

            /*
             * No memory for a copy: the token's value is blanked in
             * place, and every value cached is evaluated again.  The
             * element and the values may be seen by others, who must not
             * see them either.
             */

            ngx_str_null(&r->headers_in.authorization->value);
            r->headers_in.authorization = NULL;

            /* and the proof of a DPoP token, which names the token */

            for (part = &r->headers_in.headers.part;
                 part != NULL;
                 part = part->next)
            {
                h = part->elts;

                for (i = 0; i < part->nelts; i++) {
                    if (h[i].lowcase_key == ngx_http_oauth2_client_dpop_key) {
                        ngx_str_null(&h[i].value);
                    }
                }
            }

            ngx_http_oauth2_client_forget_variables(r);
        }
    }

    /*
     * A list of one part saved from another request's struct (a
     * subrequest's struct copy) has its last part there: it is this
     * struct's own part that is the last.
     */

    if (r->headers_in.headers.part.next == NULL) {
        r->headers_in.headers.last = &r->headers_in.headers.part;
    }

    ngx_http_oauth2_client_flush(r);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "oauth2 client: token taken off the request");
}


/*
 * dst: a list of one part with the elements of src but the credentials
 * (every Authorization: the client's, or a token), and room for that
 * many more.  It is built aside and set only once made: a failed
 * ngx_list_init() leaves a list with no elements but its old count and
 * parts, which whoever walks the request's headers after the 500 (an
 * error_page, the access log's $http_) would read.
 */

static ngx_int_t
ngx_http_oauth2_client_copy_headers(ngx_http_request_t *r, ngx_list_t *dst,
    ngx_list_t *src, ngx_uint_t room)
{
    ngx_uint_t        n;
    ngx_list_t        list;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *d;

    n = room;

    for (part = &src->part; part != NULL; part = part->next) {
        n += part->nelts;
    }

    if (ngx_list_init(&list, r->pool, n ? n : 1, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    d = list.part.elts;

    d = ngx_http_oauth2_client_copy_elts(d, src);

    list.part.nelts = d - (ngx_table_elt_t *) list.part.elts;

    *dst = list;
    dst->last = &dst->part;

    return NGX_OK;
}


/*
 * The elements of src but every Authorization, copied to d; the end of
 * what was copied.  By name: an element another module made may have no
 * hash.
 */

static ngx_inline ngx_table_elt_t *
ngx_http_oauth2_client_copy_elts(ngx_table_elt_t *d, ngx_list_t *src)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    for (part = &src->part; part != NULL; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {

            if (h[i].key.len == sizeof("Authorization") - 1
                && ngx_strncasecmp(h[i].key.data, (u_char *) "Authorization",
                                   sizeof("Authorization") - 1)
                   == 0)
            {
                continue;
            }

            *d++ = h[i];
        }
    }

    return d;
}


/*
 * Every DPoP element (or, without "all", every one of ours) out of a
 * list of one part made by copy_headers(): a client's proof goes as its
 * Authorization goes, and ours with our token.  A pass of its own, so
 * that a Bearer token's copy costs no more.
 */

static void
ngx_http_oauth2_client_drop_dpop(ngx_list_t *list, ngx_uint_t all)
{
    ngx_uint_t        i;
    ngx_table_elt_t  *h, *d;

    h = list->part.elts;
    d = h;

    for (i = 0; i < list->part.nelts; i++) {

        if (!all) {
            if (h[i].lowcase_key == ngx_http_oauth2_client_dpop_key) {
                continue;
            }

        } else if (h[i].key.len == sizeof("DPoP") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "DPoP",
                               sizeof("DPoP") - 1)
               == 0)
        {
            continue;
        }

        *d++ = h[i];
    }

    list->part.nelts = d - (ngx_table_elt_t *) list->part.elts;
}


/*
 * A cache of variable values for r where every value is to be evaluated
 * (a fresh request's).  NULL: no memory.  The copy of a cache is
 * own_state()'s, in the allocation of the header list.
 */

static ngx_http_variable_value_t *
ngx_http_oauth2_client_fresh_variables(ngx_http_request_t *r)
{
    size_t                      size;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    /* like ngx_http_create_request(): never NULL, even for no variables */

    size = cmcf->variables.nelts * sizeof(ngx_http_variable_value_t);

    return ngx_pcalloc(r->pool, size ? size : 1);
}


/* the no-memory way: every cached value of r's array, to be evaluated */

static void
ngx_http_oauth2_client_forget_variables(ngx_http_request_t *r)
{
    ngx_uint_t                  i;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    for (i = 0; i < cmcf->variables.nelts; i++) {
        r->variables[i].valid = 0;
        r->variables[i].not_found = 0;
    }
}


/* the cached $http_authorization and $http_dpop, where configured */

static ngx_inline void
ngx_http_oauth2_client_flush(ngx_http_request_t *r)
{
    ngx_http_oauth2_client_main_conf_t  *omcf;

    omcf = ngx_http_get_module_main_conf(r, ngx_http_oauth2_client_module);

    if (omcf->authorization_variable != NGX_ERROR) {
        r->variables[omcf->authorization_variable].valid = 0;
        r->variables[omcf->authorization_variable].not_found = 0;
    }

    if (omcf->dpop_variable != NGX_ERROR) {
        r->variables[omcf->dpop_variable].valid = 0;
        r->variables[omcf->dpop_variable].not_found = 0;
    }
}
