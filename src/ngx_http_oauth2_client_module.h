
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_MODULE_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_oauth2_client_jose.h"


#define NGX_HTTP_OAUTH2_CLIENT_ZONE_NAME     "oauth2_client"
#define NGX_HTTP_OAUTH2_CLIENT_ZONE_SIZE     (1024 * 1024)
#define NGX_HTTP_OAUTH2_CLIENT_LIFETIME      300

/* a token is dropped 10% of its lifetime early, at most this many ms */
#define NGX_HTTP_OAUTH2_CLIENT_MARGIN_MAX    60000

#define NGX_HTTP_OAUTH2_CLIENT_BEARER        "Bearer "


typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_STATUS_NONE = 0,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_HIT,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_MISS,
    NGX_HTTP_OAUTH2_CLIENT_STATUS_ERROR
} ngx_http_oauth2_client_status_e;


/* one oauth2_client { } block */
typedef struct {
    ngx_str_t                        name;
    ngx_str_t                        token_endpoint;
    ngx_str_t                        token_location;
    ngx_str_t                        client_id;
    ngx_str_t                        private_key;
    ngx_str_t                        key_id;
    ngx_str_t                        scope;
    ngx_uint_t                       signing_alg;
    time_t                           assertion_lifetime;

    EVP_PKEY                        *pkey;

    /* NUL-terminated copies for the nginx-free JOSE code */
    char                            *c_client_id;
    char                            *c_audience;
    char                            *c_key_id;
    char                            *c_scope;

    /* the rbtree key in the zone */
    uint32_t                         hash;

    /* worker-local: the length of the last token seen, to size copies */
    size_t                           token_len;

    /*
     * SHA-256 over everything that shapes a token: a cached token is
     * used only by a client whose settings produced it, so a reload
     * that changes the scope or the key fetches a new one
     */
    u_char                           conf_id[32];

    u_char                          *file;
    ngx_uint_t                       line;
} ngx_http_oauth2_client_conf_t;


typedef struct {
    ngx_array_t                      clients;   /* conf_t * */
    ngx_shm_zone_t                  *shm_zone;
} ngx_http_oauth2_client_main_conf_t;


typedef struct {
    ngx_http_oauth2_client_conf_t   *client;    /* NULL: off */
    ngx_str_t                        name;      /* data NULL: unset */
    u_char                          *file;
    ngx_uint_t                       line;
} ngx_http_oauth2_client_loc_conf_t;


/*
 * Per main request.  It lives in the request pool, reachable from a pool
 * cleanup too, so that it survives the internal redirects that wipe the
 * module contexts: the header it injected can then be taken back.
 */
typedef struct {
    ngx_http_oauth2_client_conf_t   *client;
    ngx_http_request_t              *subrequest;

    /* "Bearer <token>": the token is value.data + 7 */
    ngx_str_t                        value;

    /* the Authorization header we set, and the client's value it held */
    ngx_table_elt_t                 *header;
    ngx_str_t                        client_value;

    /* the token request body, wiped once it has been answered */
    ngx_str_t                        body;

    /* the token endpoint's response body, wiped likewise */
    ngx_buf_t                       *response;

    /* when the token request was sent */
    ngx_msec_t                       sent;

    ngx_int_t                        rc;        /* the subrequest's rc */

    unsigned                         token_status:3;
    unsigned                         done:1;
    unsigned                         complete:1;
    unsigned                         too_big:1;
    unsigned                         failed:1;
    unsigned                         injected:1;
    unsigned                         pushed:1;
} ngx_http_oauth2_client_ctx_t;


ngx_int_t ngx_http_oauth2_client_handler_init(ngx_conf_t *cf);

ngx_shm_zone_t *ngx_http_oauth2_client_cache_add_zone(ngx_conf_t *cf,
    ngx_str_t *name, ssize_t size);
ngx_int_t ngx_http_oauth2_client_cache_get(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, ngx_pool_t *pool,
    ngx_str_t *value);
ngx_int_t ngx_http_oauth2_client_cache_put(ngx_shm_zone_t *shm_zone,
    ngx_http_oauth2_client_conf_t *client, u_char *token, size_t len,
    ngx_msec_t expires, ngx_log_t *log);


extern ngx_module_t  ngx_http_oauth2_client_module;


#endif /* _NGX_HTTP_OAUTH2_CLIENT_MODULE_H_INCLUDED_ */
