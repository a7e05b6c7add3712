
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * At configuration time, once the locations are in their trees: the
 * server each client's token requests run in, and what nginx -t says of
 * its token location.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_module.h"


static ngx_http_core_loc_conf_t *ngx_http_oauth2_client_check_find(
    ngx_http_core_loc_conf_t *pclcf, ngx_str_t *uri, ngx_uint_t *final);
static ngx_int_t ngx_http_oauth2_client_check_find_static(
    ngx_http_location_tree_node_t *node, ngx_str_t *uri,
    ngx_http_core_loc_conf_t **found);


/*
 * Once the locations are in their trees: the server the token requests
 * run in is the first of those that use the client that has a token
 * location with a content handler, or else the first of them, with a
 * warning: its token requests find no location to run in.
 *
 * nginx -t is told when the timeouts of the token location exceed the
 * deadline: a token request ends at its deadline whatever they say.
 * Their values are read through the proxy module, found by name: its
 * location configuration starts with the upstream one; a location
 * without a proxy_pass to a fixed address (another module's handler,
 * variables) has no upstream there, and is not checked.  The signaller
 * process (nginx -s) reads the configuration too: it says nothing.
 */

ngx_int_t
ngx_http_oauth2_client_check(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    ngx_uint_t                  i, final;
    ngx_msec_t                  t;
    ngx_module_t               *m;
    ngx_http_upstream_conf_t   *ucf;
    ngx_http_core_srv_conf_t  **cscfp;
    ngx_http_core_loc_conf_t   *clcf;

    cscfp = client->servers.elts;
    clcf = NULL;

    for (i = 0; i < client->servers.nelts; i++) {
        clcf = cscfp[i]->ctx->loc_conf[ngx_http_core_module.ctx_index];
        clcf = ngx_http_oauth2_client_check_find(clcf,
                                                   &client->token_location,
                                                   &final);
        if (clcf != NULL && clcf->handler != NULL) {
            client->server = cscfp[i];
            break;
        }
    }

    if (client->server == NULL) {
        if (client->servers.nelts == 0) {
            return NGX_OK;
        }

        client->server = cscfp[0];

        if (ngx_process != NGX_PROCESS_SIGNALLER) {
            ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                          "oauth2 client \"%V\": token location \"%V\" "
                          "with a content handler (such as proxy_pass) is "
                          "in none of the servers that use the client: its "
                          "token requests will fail",
                          &client->name, &client->token_location);
        }

        return NGX_OK;
    }

    if (ngx_process == NGX_PROCESS_SIGNALLER) {
        return NGX_OK;
    }

    for (i = 0; cf->cycle->modules[i]; i++) {
        m = cf->cycle->modules[i];

        if (m->type != NGX_HTTP_MODULE
            || ngx_strcmp(m->name, "ngx_http_proxy_module") != 0)
        {
            continue;
        }

        ucf = clcf->loc_conf[m->ctx_index];

        /* mTLS: the certificate is the token location's, variables or not */

        if (ngx_http_oauth2_client_auth_check_location(cf, client, ucf)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (ucf->upstream == NULL) {
            break;
        }

        t = ucf->connect_timeout + ucf->send_timeout + ucf->read_timeout;

        if (t > client->deadline) {
            ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                          "oauth2 client \"%V\": proxy_connect_timeout "
                          "%M ms, proxy_send_timeout %M ms and "
                          "proxy_read_timeout %M ms of token location \"%V\" "
                          "exceed %M ms, the longest "
                          "oauth2_token_wait_timeout of the client, at "
                          "which its token requests end",
                          &client->name, ucf->connect_timeout,
                          ucf->send_timeout, ucf->read_timeout,
                          &client->token_location, client->deadline);
        }

        break;
    }

    return NGX_OK;
}


/*
 * The location of uri among those of pclcf, as ngx_http_core_find_location()
 * finds it; final is set when it is exact or a regular expression's.
 */

static ngx_http_core_loc_conf_t *
ngx_http_oauth2_client_check_find(ngx_http_core_loc_conf_t *pclcf,
    ngx_str_t *uri, ngx_uint_t *final)
{
    ngx_int_t                  rc;
    ngx_uint_t                 noregex;
    ngx_http_core_loc_conf_t  *clcf, *nested;
#if (NGX_PCRE)
    ngx_http_core_loc_conf_t **clcfp;
#endif

    *final = 0;
    noregex = 0;
    clcf = NULL;

    rc = ngx_http_oauth2_client_check_find_static(pclcf->static_locations,
                                                    uri, &clcf);
    if (rc == NGX_OK) {
        *final = 1;
        return clcf;
    }

    if (rc == NGX_AGAIN) {
        noregex = clcf->noregex;

        nested = ngx_http_oauth2_client_check_find(clcf, uri, final);

        if (*final) {
            return nested;
        }

        if (nested != NULL) {
            clcf = nested;
        }
    }

#if (NGX_PCRE)

    if (noregex == 0 && pclcf->regex_locations) {

        for (clcfp = pclcf->regex_locations; *clcfp; clcfp++) {

            if (ngx_regex_exec((*clcfp)->regex->regex, uri, NULL, 0) < 0) {
                continue;
            }

            nested = ngx_http_oauth2_client_check_find(*clcfp, uri, final);
            *final = 1;

            return (nested != NULL) ? nested : *clcfp;
        }
    }

#endif

    return clcf;
}


/* NGX_OK: an exact match; NGX_AGAIN: a prefix; NGX_DECLINED: none */

static ngx_int_t
ngx_http_oauth2_client_check_find_static(
    ngx_http_location_tree_node_t *node, ngx_str_t *uri,
    ngx_http_core_loc_conf_t **found)
{
    u_char     *p;
    size_t      len, n;
    ngx_int_t   rc, rv;

    p = uri->data;
    len = uri->len;
    rv = NGX_DECLINED;

    while (node != NULL) {
        n = (len <= (size_t) node->len) ? len : node->len;

        rc = ngx_filename_cmp(p, node->name, n);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (len > (size_t) node->len) {

            if (node->inclusive) {
                *found = node->inclusive;
                rv = NGX_AGAIN;

                node = node->tree;
                p += n;
                len -= n;
                continue;
            }

            node = node->right;
            continue;
        }

        if (len == (size_t) node->len) {

            if (node->exact) {
                *found = node->exact;
                return NGX_OK;
            }

            *found = node->inclusive;
            return NGX_AGAIN;
        }

        node = node->left;
    }

    return rv;
}
