
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Directives and configuration.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_http_oauth2_client_module.h"
#include "ngx_http_oauth2_client_file.h"
#include "ngx_http_oauth2_client_keyfile.h"


static ngx_int_t ngx_http_oauth2_client_init(ngx_conf_t *cf);
static void *ngx_http_oauth2_client_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_oauth2_client_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_http_oauth2_client_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_oauth2_client_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);

static char *ngx_http_oauth2_client_cache_zone(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_oauth2_client_block(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_oauth2_client_block_handler(ngx_conf_t *cf,
    ngx_command_t *dummy, void *conf);
static char *ngx_http_oauth2_client_set_endpoint(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_oauth2_client_set_scope(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_oauth2_client_set_alg(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_oauth2_client_set_refresh(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_oauth2_client_finish(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_finish_required(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_finish_location(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_finish_values(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_finish_key(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_finish_dpop(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static void ngx_http_oauth2_client_free_dpop(void *data);
static ngx_int_t ngx_http_oauth2_client_read_key(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, const char *directive,
    ngx_str_t *file, ngx_str_t *passfile,
    ngx_http_oauth2_client_keyfile_t *kf);
static ngx_int_t ngx_http_oauth2_client_read_secret(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, const char *directive,
    ngx_str_t *file, ngx_http_oauth2_client_file_t *f);
static void ngx_http_oauth2_client_file_mode(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, const char *directive,
    ngx_str_t *file, unsigned mode);
static ngx_int_t ngx_http_oauth2_client_finish_alg(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_finish_strings(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static char *ngx_http_oauth2_client_cstr(ngx_conf_t *cf, ngx_str_t *s);
static ngx_int_t ngx_http_oauth2_client_conf_id(
    ngx_http_oauth2_client_conf_t *client);
static void ngx_http_oauth2_client_free_key(void *data);
static char *ngx_http_oauth2_client_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


/* the directives inside oauth2_client { }, dispatched by the block handler */
static ngx_command_t  ngx_http_oauth2_client_block_commands[] = {

    { ngx_string("token_endpoint"),
      NGX_CONF_TAKE1,
      ngx_http_oauth2_client_set_endpoint,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, token_endpoint),
      NULL },

    { ngx_string("token_location"),
      NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, token_location),
      NULL },

    { ngx_string("client_id"),
      NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, client_id),
      NULL },

    { ngx_string("private_key"),
      NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, private_key),
      NULL },

    { ngx_string("private_key_passphrase_file"),
      NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, private_key_passphrase_file),
      NULL },

    { ngx_string("key_id"),
      NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, key_id),
      NULL },

    { ngx_string("scope"),
      NGX_CONF_1MORE,
      ngx_http_oauth2_client_set_scope,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, scope),
      NULL },

    { ngx_string("signing_alg"),
      NGX_CONF_TAKE1,
      ngx_http_oauth2_client_set_alg,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, signing_alg),
      NULL },

    { ngx_string("refresh_before"),
      NGX_CONF_TAKE1,
      ngx_http_oauth2_client_set_refresh,
      0,
      0,
      NULL },

    { ngx_string("assertion_lifetime"),
      NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, assertion_lifetime),
      NULL },

    { ngx_string("prefetch"),
      NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, prefetch),
      NULL },

    { ngx_string("dpop"),
      NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, dpop),
      NULL },

    { ngx_string("dpop_key"),
      NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      0,
      offsetof(ngx_http_oauth2_client_conf_t, dpop_key),
      NULL },

      ngx_null_command
};


static ngx_command_t  ngx_http_oauth2_client_commands[] = {

    { ngx_string("oauth2_token_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_oauth2_client_cache_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oauth2_client"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_BLOCK|NGX_CONF_TAKE1,
      ngx_http_oauth2_client_block,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oauth2_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_oauth2_client_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("oauth2_token_wait_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_oauth2_client_loc_conf_t, wait_timeout),
      NULL },

    { ngx_string("oauth2_dpop_htu"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_oauth2_client_loc_conf_t, dpop_htu),
      NULL },

    { ngx_string("oauth2_token_purge"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_oauth2_client_loc_conf_t, purge),
      NULL },

    { ngx_string("oauth2_client_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_oauth2_client_status_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_oauth2_client_module_ctx = {
    ngx_http_oauth2_client_add_variables,  /* preconfiguration */
    ngx_http_oauth2_client_init,           /* postconfiguration */

    ngx_http_oauth2_client_create_main_conf, /* create main configuration */
    ngx_http_oauth2_client_init_main_conf, /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_oauth2_client_create_loc_conf, /* create location configuration */
    ngx_http_oauth2_client_merge_loc_conf  /* merge location configuration */
};


ngx_module_t  ngx_http_oauth2_client_module = {
    NGX_MODULE_V1,
    &ngx_http_oauth2_client_module_ctx,    /* module context */
    ngx_http_oauth2_client_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_oauth2_client_worker_init,    /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_oauth2_client_worker_exit,    /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_oauth2_client_init(ngx_conf_t *cf)
{
    ngx_uint_t                           i;
    ngx_http_oauth2_client_conf_t      **clients;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    if (ngx_http_oauth2_client_handler_init(cf) != NGX_OK
        || ngx_http_oauth2_client_confine_init(cf) != NGX_OK
        || ngx_http_oauth2_client_request_init(cf) != NGX_OK
        || ngx_http_oauth2_client_purge_init(cf) != NGX_OK
        || ngx_http_oauth2_client_proof_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the locations are in their trees now: the token locations checked */

    omcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_oauth2_client_module);
    clients = omcf->clients.elts;

    for (i = 0; i < omcf->clients.nelts; i++) {
        if (ngx_http_oauth2_client_check(cf, clients[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void *
ngx_http_oauth2_client_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_oauth2_client_main_conf_t  *omcf;

    omcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth2_client_main_conf_t));
    if (omcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&omcf->clients, cf->pool, 4,
                       sizeof(ngx_http_oauth2_client_conf_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return omcf;
}


static char *
ngx_http_oauth2_client_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_oauth2_client_main_conf_t *omcf = conf;

    ngx_uint_t                      i;
    ngx_http_oauth2_client_conf_t **clients;

    ngx_str_t  name = ngx_string(NGX_HTTP_OAUTH2_CLIENT_ZONE_NAME);

    /* the default zone exists only where clients do */

    if (omcf->shm_zone == NULL && omcf->clients.nelts) {
        omcf->shm_zone = ngx_http_oauth2_client_cache_add_zone(cf, &name,
                                           NGX_HTTP_OAUTH2_CLIENT_ZONE_SIZE);
        if (omcf->shm_zone == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    clients = omcf->clients.elts;

    for (i = 0; i < omcf->clients.nelts; i++) {
        clients[i]->shm_zone = omcf->shm_zone;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_oauth2_client_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_oauth2_client_loc_conf_t  *olcf;

    olcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth2_client_loc_conf_t));
    if (olcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     olcf->client = NULL;
     *     olcf->name = { 0, NULL };
     *     olcf->dpop_htu = NULL;
     *     olcf->status = 0;
     */

    olcf->wait_timeout = NGX_CONF_UNSET_MSEC;
    olcf->purge = NGX_CONF_UNSET;

    return olcf;
}


static char *
ngx_http_oauth2_client_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_oauth2_client_loc_conf_t *prev = parent;
    ngx_http_oauth2_client_loc_conf_t *conf = child;

    ngx_uint_t                           i;
    ngx_http_core_srv_conf_t           **cscfp, *cscf;
    ngx_http_oauth2_client_conf_t      **clients, *client;
    ngx_http_oauth2_client_main_conf_t  *omcf;

    ngx_conf_merge_msec_value(conf->wait_timeout, prev->wait_timeout,
                              NGX_HTTP_OAUTH2_CLIENT_WAIT_TIMEOUT);
    ngx_conf_merge_value(conf->purge, prev->purge, 0);

    if (conf->dpop_htu == NULL) {
        conf->dpop_htu = prev->dpop_htu;
    }

    if (conf->wait_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"oauth2_token_wait_timeout\" must be more "
                           "than 0");
        return NGX_CONF_ERROR;
    }

    /*
     * The status location answers itself and gets no token: one it
     * inherits is ignored, one set there is a mistake.
     */

    if (conf->status && conf->name.data != NULL
        && !(conf->name.len == 3
             && ngx_strncmp(conf->name.data, "off", 3) == 0))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"oauth2_token\" and \"oauth2_client_status\" in "
                      "one location in %s:%ui", conf->file, conf->line);
        return NGX_CONF_ERROR;
    }

    if (conf->name.data == NULL) {
        conf->name = prev->name;
        conf->file = prev->file;
        conf->line = prev->line;
    }

    conf->client = NULL;

    if (conf->status) {
        return NGX_CONF_OK;
    }

    if (conf->name.data == NULL
        || (conf->name.len == 3
            && ngx_strncmp(conf->name.data, "off", 3) == 0))
    {
        return NGX_CONF_OK;
    }

    /*
     * Names are resolved here, once every oauth2_client block has been
     * read, so a client may be defined after the locations that use it.
     */

    omcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_oauth2_client_module);
    clients = omcf->clients.elts;

    for (i = 0; i < omcf->clients.nelts; i++) {
        if (clients[i]->name.len == conf->name.len
            && ngx_strncmp(clients[i]->name.data, conf->name.data,
                           conf->name.len)
               == 0)
        {
            break;
        }
    }

    if (i == omcf->clients.nelts) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "unknown oauth2_client \"%V\" in \"oauth2_token\" in "
                      "%s:%ui", &conf->name, conf->file, conf->line);
        return NGX_CONF_ERROR;
    }

    /*
     * The token requests of the client end at the longest wait of the
     * locations that use it, and run in the configuration of one of
     * their servers, chosen once the locations are in their trees.
     */

    client = clients[i];
    conf->client = client;

    client->deadline = ngx_max(client->deadline, conf->wait_timeout);

    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);
    cscfp = client->servers.elts;

    if (client->servers.nelts == 0
        || cscfp[client->servers.nelts - 1] != cscf)
    {
        cscfp = ngx_array_push(&client->servers);
        if (cscfp == NULL) {
            return NGX_CONF_ERROR;
        }

        *cscfp = cscf;
    }

    return NGX_CONF_OK;
}




static char *
ngx_http_oauth2_client_cache_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_main_conf_t *omcf = conf;

    u_char     *p;
    ssize_t     size;
    ngx_str_t  *value, name, s;

    if (omcf->shm_zone != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strncmp(value[1].data, "zone=", 5) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\", "
                           "expected \"zone=name:size\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data + 5;

    p = (u_char *) ngx_strchr(name.data, ':');

    if (p == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size in \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    name.len = p - name.data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (name.len == 0 || size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small, at least %uzk",
                           &name, 8 * ngx_pagesize / 1024);
        return NGX_CONF_ERROR;
    }

    omcf->shm_zone = ngx_http_oauth2_client_cache_add_zone(cf, &name, size);
    if (omcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_oauth2_client_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_oauth2_client_main_conf_t *omcf = conf;

    char                            *rv;
    u_char                          *p;
    ngx_str_t                       *value, name;
    ngx_uint_t                       i;
    ngx_conf_t                       save;
    ngx_http_oauth2_client_conf_t   *client, **clientp, **clients;

    value = cf->args->elts;
    name = value[1];

    if (name.len == 0
        || (name.len == 3 && ngx_strncmp(name.data, "off", 3) == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid oauth2_client name \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    /* the zone keeps a name in a byte-sized length */

    if (name.len > 255) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oauth2_client name \"%V\" is too long, "
                           "at most 255 characters", &name);
        return NGX_CONF_ERROR;
    }

    for (p = name.data; p < name.data + name.len; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9')
              || *p == '_' || *p == '-' || *p == '.'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid oauth2_client name \"%V\": "
                               "use letters, digits, \"_\", \"-\" and \".\"",
                               &name);
            return NGX_CONF_ERROR;
        }
    }

    clients = omcf->clients.elts;

    for (i = 0; i < omcf->clients.nelts; i++) {
        if (clients[i]->name.len == name.len
            && ngx_strncmp(clients[i]->name.data, name.data, name.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate oauth2_client \"%V\", "
                               "first defined in %s:%ui",
                               &name, clients[i]->file, clients[i]->line);
            return NGX_CONF_ERROR;
        }
    }

    client = ngx_pcalloc(cf->pool, sizeof(ngx_http_oauth2_client_conf_t));
    if (client == NULL) {
        return NGX_CONF_ERROR;
    }

    client->name = name;
    client->signing_alg = NGX_CONF_UNSET_UINT;
    client->assertion_lifetime = NGX_CONF_UNSET;
    client->refresh_time = NGX_CONF_UNSET_MSEC;
    client->prefetch = NGX_CONF_UNSET;
    client->dpop = NGX_CONF_UNSET;
    ngx_queue_init(&client->waiters);

    if (ngx_array_init(&client->servers, cf->pool, 1,
                       sizeof(ngx_http_core_srv_conf_t *))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }
    client->file = cf->conf_file->file.name.data;
    client->line = cf->conf_file->line;

    clientp = ngx_array_push(&omcf->clients);
    if (clientp == NULL) {
        return NGX_CONF_ERROR;
    }

    *clientp = client;

    save = *cf;
    cf->handler = ngx_http_oauth2_client_block_handler;
    cf->handler_conf = (char *) client;

    rv = ngx_conf_parse(cf, NULL);

    *cf = save;

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    return ngx_http_oauth2_client_finish(cf, client);
}


static char *
ngx_http_oauth2_client_block_handler(ngx_conf_t *cf, ngx_command_t *dummy,
    void *conf)
{
    char           *rv;
    ngx_str_t      *value;
    ngx_uint_t      argc, t;
    ngx_command_t  *cmd;

    static ngx_uint_t  argument_number[] = {
        NGX_CONF_NOARGS,
        NGX_CONF_TAKE1,
        NGX_CONF_TAKE2
    };

    /* the directives of client authentication are auth.c's */

    static ngx_command_t  *tables[] = {
        ngx_http_oauth2_client_block_commands,
        ngx_http_oauth2_client_auth_commands
    };

    value = cf->args->elts;
    argc = cf->args->nelts - 1;

    for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {

        for (cmd = tables[t]; cmd->name.len; cmd++) {

            if (cmd->name.len != value[0].len
                || ngx_strncmp(cmd->name.data, value[0].data,
                               value[0].len)
                   != 0)
            {
                continue;
            }

            if (!((cmd->type & NGX_CONF_1MORE) && argc >= 1)
                && !((cmd->type & NGX_CONF_FLAG) && argc == 1)
                && !(argc < 3 && (cmd->type & argument_number[argc])))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid number of arguments in \"%V\" "
                                   "directive", &value[0]);
                return NGX_CONF_ERROR;
            }

            rv = cmd->set(cf, cmd, conf);

            if (rv == NGX_CONF_OK || rv == NGX_CONF_ERROR) {
                return rv;
            }

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" directive %s", &value[0], rv);

            return NGX_CONF_ERROR;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "unknown directive \"%V\" in oauth2_client block",
                       &value[0]);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_oauth2_client_set_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_conf_t *client = conf;

    size_t      add;
    ngx_url_t   u;
    ngx_str_t  *value;

    if (client->token_endpoint.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strncasecmp(value[1].data, (u_char *) "https://", 8) == 0) {
        add = 8;

    } else if (ngx_strncasecmp(value[1].data, (u_char *) "http://", 7)
               == 0)
    {
        add = 7;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"token_endpoint\" must be an http:// or "
                           "https:// URL, not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url.data = value[1].data + add;
    u.url.len = value[1].len - add;
    u.uri_part = 1;
    u.no_resolve = 1;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.host.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"token_endpoint\" \"%V\" is not a valid URL%s%s",
                           &value[1], u.err ? ": " : "",
                           u.err ? u.err : "");
        return NGX_CONF_ERROR;
    }

    /* aud is this string verbatim: keep exactly what the operator wrote */

    client->token_endpoint = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_oauth2_client_set_scope(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_conf_t *client = conf;

    u_char      *p;
    size_t       len;
    ngx_str_t   *value;
    ngx_uint_t   i;

    if (client->scope.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    len = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        len += value[i].len + 1;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    client->scope.data = p;

    for (i = 1; i < cf->args->nelts; i++) {
        if (i > 1) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, value[i].data, value[i].len);
    }

    client->scope.len = p - client->scope.data;

    return NGX_CONF_OK;
}


static char *
ngx_http_oauth2_client_set_alg(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_conf_t *client = conf;

    int         alg;
    ngx_str_t  *value;

    if (client->signing_alg != NGX_CONF_UNSET_UINT || client->auth.hmac) {
        return "is duplicate";
    }

    value = cf->args->elts;

    alg = ngx_http_oauth2_client_alg_by_name((char *) value[1].data,
                                             value[1].len);

    /* HS256, HS384, HS512: client_secret_jwt's, checked in auth.c */

    if (alg == NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET) {
        client->auth.hmac = ngx_http_oauth2_client_hmac_by_name(
                                  (char *) value[1].data, value[1].len);
        if (client->auth.hmac != NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET) {
            return NGX_CONF_OK;
        }
    }

    if (alg == NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"signing_alg\" must be RS256, RS384, RS512, "
                           "ES256, ES384, ES512, PS256, PS384, PS512, "
                           "HS256, HS384 or HS512, not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    client->signing_alg = alg;

    return NGX_CONF_OK;
}


static char *
ngx_http_oauth2_client_set_refresh(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_conf_t *client = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (client->refresh_pct != 0
        || client->refresh_time != NGX_CONF_UNSET_MSEC)
    {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* a share of the token's lifetime, "10%", or a time, "5m" */

    if (value[1].len > 1 && value[1].data[value[1].len - 1] == '%') {
        n = ngx_atoi(value[1].data, value[1].len - 1);

        if (n < 1 || n > 99) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"refresh_before\" must be a time or a "
                               "share from 1%% to 99%%, not \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }

        client->refresh_pct = n;

        return NGX_CONF_OK;
    }

    client->refresh_time = ngx_parse_time(&value[1], 0);

    if (client->refresh_time == (ngx_msec_t) NGX_ERROR
        || client->refresh_time == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"refresh_before\" must be a time or a share "
                           "from 1%% to 99%%, not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the block is read: what it lacks, defaults, the key, derived values */

static char *
ngx_http_oauth2_client_finish(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    if (ngx_http_oauth2_client_finish_required(cf, client) != NGX_OK
        || ngx_http_oauth2_client_finish_location(cf, client) != NGX_OK
        || ngx_http_oauth2_client_finish_values(cf, client) != NGX_OK
        || ngx_http_oauth2_client_auth_finish(cf, client) != NGX_OK
        || (client->private_key.data != NULL
            && ngx_http_oauth2_client_finish_key(cf, client) != NGX_OK)
        || ngx_http_oauth2_client_auth_finish_key(cf, client) != NGX_OK
        || ngx_http_oauth2_client_finish_dpop(cf, client) != NGX_OK
        || ngx_http_oauth2_client_finish_strings(cf, client) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_oauth2_client_finish_required(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    char  *missing;

    if (client->token_endpoint.data == NULL) {
        missing = "token_endpoint";

    } else if (client->client_id.data == NULL || client->client_id.len == 0) {
        missing = "client_id";

    } else if (client->private_key.data != NULL
               && client->private_key.len == 0)
    {
        missing = "private_key";

    } else {
        return NGX_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%s\" is missing in oauth2_client \"%V\"",
                       missing, &client->name);

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_oauth2_client_finish_location(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    u_char     *p;
    ngx_str_t  *loc;

    loc = &client->token_location;

    if (loc->data == NULL) {
        loc->len = sizeof("/_oauth2/") - 1 + client->name.len;

        loc->data = ngx_pnalloc(cf->pool, loc->len);
        if (loc->data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_cpymem(loc->data, "/_oauth2/", sizeof("/_oauth2/") - 1);
        ngx_memcpy(p, client->name.data, client->name.len);
    }

    if (loc->len == 0 || loc->data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"token_location\" \"%V\" of oauth2_client "
                           "\"%V\" must start with \"/\"", loc,
                           &client->name);
        return NGX_ERROR;
    }

    if (ngx_strlchr(loc->data, loc->data + loc->len, '?') != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"token_location\" \"%V\" of oauth2_client "
                           "\"%V\" must be a URI without arguments", loc,
                           &client->name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_finish_values(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    if (client->key_id.data != NULL && client->key_id.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"key_id\" of oauth2_client \"%V\" is empty: "
                           "give the key's kid, or leave key_id out",
                           &client->name);
        return NGX_ERROR;
    }

    if (client->refresh_time == NGX_CONF_UNSET_MSEC
        && client->refresh_pct == 0)
    {
        client->refresh_pct = NGX_HTTP_OAUTH2_CLIENT_REFRESH_PCT;
    }

    ngx_conf_init_value(client->prefetch, 1);
    ngx_conf_init_value(client->dpop, 0);
    ngx_conf_init_value(client->assertion_lifetime,
                        NGX_HTTP_OAUTH2_CLIENT_LIFETIME);

    if (client->assertion_lifetime < 1
        || client->assertion_lifetime > NGX_HTTP_OAUTH2_CLIENT_LIFETIME_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"assertion_lifetime\" of oauth2_client \"%V\" "
                           "must be between 1s and 1h, not %T seconds",
                           &client->name, client->assertion_lifetime);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The key is read here, in the master process at configuration time,
 * so a file only root may read works while workers run unprivileged.
 */

static ngx_int_t
ngx_http_oauth2_client_finish_key(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    size_t                             len;
    ngx_pool_cleanup_t                *cln;
    ngx_http_oauth2_client_keyfile_t   kf;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_oauth2_client_read_key(cf, client, "private_key",
                                        &client->private_key,
                                        &client->private_key_passphrase_file,
                                        &kf)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    client->pkey = kf.pkey;
    cln->handler = ngx_http_oauth2_client_free_key;
    cln->data = client->pkey;

    /* a JWK names its key and may fix its algorithm: the directives win */

    if (client->key_id.data == NULL && kf.kid != NULL) {
        len = ngx_strlen(kf.kid);

        client->key_id.data = ngx_pnalloc(cf->pool, len);
        if (client->key_id.data == NULL) {
            free(kf.kid);
            return NGX_ERROR;
        }

        ngx_memcpy(client->key_id.data, kf.kid, len);
        client->key_id.len = len;
    }

    free(kf.kid);

    if (client->signing_alg == NGX_CONF_UNSET_UINT
        && kf.alg != NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET)
    {
        client->signing_alg = kf.alg;
    }

    return ngx_http_oauth2_client_finish_alg(cf, client);
}


/*
 * The DPoP key: from dpop_key, or made here, in the master, once per
 * configuration load, so that every worker signs with the same key and
 * binds its requests to the same tokens.  A generated key lives as long
 * as the configuration: a reload makes a new one (and so fetches a new
 * token, bound to it); one from a file keeps the token across reloads.
 */

static ngx_int_t
ngx_http_oauth2_client_finish_dpop(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    int                                rc;
    char                               err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char                            *p;
    ngx_pool_cleanup_t                *cln;
    ngx_http_oauth2_client_keyfile_t   kf;

    if (!client->dpop) {
        if (client->dpop_key.data != NULL) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "\"dpop_key\" of oauth2_client \"%V\" is "
                               "not used: \"dpop\" is off", &client->name);
        }

        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    if (client->dpop_key.data != NULL) {
        if (ngx_http_oauth2_client_read_key(cf, client, "dpop_key",
                                            &client->dpop_key, NULL, &kf)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        free(kf.kid);

    } else {
        ngx_memzero(&kf, sizeof(ngx_http_oauth2_client_keyfile_t));
        kf.alg = NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET;

        kf.pkey = ngx_http_oauth2_client_dpop_key_generate(err, sizeof(err));
        if (kf.pkey == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "oauth2_client \"%V\": could not generate "
                               "a DPoP key: %s", &client->name, err);
            return NGX_ERROR;
        }
    }

    /* the proof key must differ from the client's own (RFC 9449 11.5) */

    if (client->pkey != NULL && EVP_PKEY_eq(kf.pkey, client->pkey) == 1) {
        EVP_PKEY_free(kf.pkey);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"dpop_key\" of oauth2_client \"%V\" is its "
                           "\"private_key\": DPoP needs a key of its own",
                           &client->name);
        return NGX_ERROR;
    }

    rc = ngx_http_oauth2_client_dpop_init(&client->dpop_ctx, kf.pkey, kf.alg,
                                          err, sizeof(err));

    /* dpop_init() took a reference of its own */
    EVP_PKEY_free(kf.pkey);

    if (rc != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"dpop_key\" of oauth2_client \"%V\": %s",
                           &client->name, err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_oauth2_client_free_dpop;
    cln->data = &client->dpop_ctx;

    client->htu_len = ngx_http_oauth2_client_dpop_htu_len(
                                                client->token_endpoint.data,
                                                client->token_endpoint.len);

    /* the scheme and authority: "https://host[:port]", before the path */

    p = ngx_strlchr(client->token_endpoint.data,
                    client->token_endpoint.data + client->htu_len, ':');
    p = (p != NULL) ? ngx_strlchr(p + 3, client->token_endpoint.data
                                         + client->htu_len, '/')
                    : NULL;

    client->origin_len = (p != NULL)
                         ? (size_t) (p - client->token_endpoint.data)
                         : client->htu_len;

    return NGX_OK;
}


static void
ngx_http_oauth2_client_free_dpop(void *data)
{
    ngx_http_oauth2_client_dpop_cleanup(data);
}


/*
 * A key file of any form (PEM, encrypted PEM, JWK, JWKS: told by the
 * content), its passphrase from passfile if given; every buffer that held
 * the file or the passphrase is cleansed.  kf->pkey and kf->kid are the
 * caller's.
 */

static ngx_int_t
ngx_http_oauth2_client_read_key(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, const char *directive,
    ngx_str_t *file, ngx_str_t *passfile, ngx_http_oauth2_client_keyfile_t *kf)
{
    int                             rc;
    char                           *path;
    char                            err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                          passlen;
    unsigned                        mode;
    ngx_http_oauth2_client_file_t   f, pass;

    ngx_memzero(&pass, sizeof(ngx_http_oauth2_client_file_t));
    passlen = 0;

    if (passfile != NULL && passfile->data != NULL) {
        if (ngx_http_oauth2_client_read_secret(cf, client,
                                               "private_key_passphrase_file",
                                               passfile, &pass)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        passlen = ngx_http_oauth2_client_passphrase_trim(pass.data, pass.len);
    }

    rc = NGX_ERROR;

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        goto done;
    }

    path = ngx_http_oauth2_client_cstr(cf, file);
    if (path == NULL) {
        goto done;
    }

    if (ngx_http_oauth2_client_file_read(path, NGX_HTTP_OAUTH2_CLIENT_FILE_MAX,
                                         &f, err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" of oauth2_client \"%V\": %s",
                           directive, &client->name, err);
        goto done;
    }

    if (f.len == 0) {
        ngx_http_oauth2_client_file_free(&f);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" file \"%V\" of oauth2_client \"%V\" "
                           "is empty", directive, file, &client->name);
        goto done;
    }

    if (ngx_http_oauth2_client_keyfile_parse(f.data, f.len, pass.data,
                                             passlen, kf, err, sizeof(err))
        != 0)
    {
        ngx_http_oauth2_client_file_free(&f);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" file \"%V\" of oauth2_client \"%V\": "
                           "%s", directive, file, &client->name, err);
        goto done;
    }

    mode = f.mode;
    ngx_http_oauth2_client_file_free(&f);

    ngx_http_oauth2_client_file_mode(cf, client, directive, file, mode);

    if (pass.data != NULL && !kf->encrypted) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"private_key_passphrase_file\" of "
                           "oauth2_client \"%V\" is not used: the \"%s\" "
                           "file \"%V\" is not encrypted",
                           &client->name, directive, file);
    }

    rc = NGX_OK;

done:

    ngx_http_oauth2_client_file_free(&pass);

    return rc;
}


/* a small secret file, read by the master; f is the caller's to free */

static ngx_int_t
ngx_http_oauth2_client_read_secret(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, const char *directive,
    ngx_str_t *file, ngx_http_oauth2_client_file_t *f)
{
    char   *path;
    char    err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    path = ngx_http_oauth2_client_cstr(cf, file);
    if (path == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_oauth2_client_file_read(path, NGX_HTTP_OAUTH2_CLIENT_FILE_MAX,
                                         f, err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" of oauth2_client \"%V\": %s",
                           directive, &client->name, err);
        return NGX_ERROR;
    }

    if (ngx_http_oauth2_client_passphrase_trim(f->data, f->len) == 0) {
        ngx_http_oauth2_client_file_free(f);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" file \"%V\" of oauth2_client \"%V\" "
                           "is empty", directive, file, &client->name);
        return NGX_ERROR;
    }

    ngx_http_oauth2_client_file_mode(cf, client, directive, file, f->mode);

    return NGX_OK;
}


/*
 * The file was read by the master: a key file others may read gives the
 * service's identity to every local user.  Said, not refused, so that an
 * existing setup keeps working.
 */

static void
ngx_http_oauth2_client_file_mode(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, const char *directive,
    ngx_str_t *file, unsigned mode)
{
    if (mode & (S_IRWXG|S_IRWXO)) {
        ngx_conf_log_error(NGX_LOG_NOTICE, cf, 0,
                           "\"%s\" file \"%V\" of oauth2_client "
                           "\"%V\" is accessible to other users (mode "
                           "0%ui%ui%ui): 0600, owned by root, is enough",
                           directive, file, &client->name,
                           (ngx_uint_t) (mode >> 6 & 7),
                           (ngx_uint_t) (mode >> 3 & 7),
                           (ngx_uint_t) (mode & 7));
    }
}


static ngx_int_t
ngx_http_oauth2_client_finish_alg(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    int   alg;
    char  err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];

    if (client->signing_alg == NGX_CONF_UNSET_UINT) {
        alg = ngx_http_oauth2_client_key_default_alg(client->pkey, err,
                                                     sizeof(err));
        if (alg == NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"private_key\" of oauth2_client \"%V\": %s",
                               &client->name, err);
            return NGX_ERROR;
        }

        client->signing_alg = alg;
    }

    if (ngx_http_oauth2_client_key_check_alg(client->pkey,
                                             (int) client->signing_alg,
                                             err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"signing_alg\" of oauth2_client \"%V\" does not "
                           "fit its \"private_key\": %s",
                           &client->name, err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* NUL-terminated copies for the nginx-free code, the zone key, conf_id */

static ngx_int_t
ngx_http_oauth2_client_finish_strings(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    client->c_client_id = ngx_http_oauth2_client_cstr(cf, &client->client_id);
    client->c_audience = ngx_http_oauth2_client_cstr(cf,
                                                     &client->token_endpoint);
    client->c_scope = ngx_http_oauth2_client_cstr(cf, &client->scope);

    if (client->c_client_id == NULL
        || client->c_audience == NULL
        || client->c_scope == NULL)
    {
        return NGX_ERROR;
    }

    if (client->key_id.data != NULL) {
        client->c_key_id = ngx_http_oauth2_client_cstr(cf, &client->key_id);
        if (client->c_key_id == NULL) {
            return NGX_ERROR;
        }
    }

    client->hash = ngx_crc32_short(client->name.data, client->name.len);

    if (ngx_http_oauth2_client_conf_id(client) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oauth2_client \"%V\": could not fingerprint "
                           "the key", &client->name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static char *
ngx_http_oauth2_client_cstr(ngx_conf_t *cf, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(cf->pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    if (s->len) {
        ngx_memcpy(p, s->data, s->len);
    }

    p[s->len] = '\0';

    return (char *) p;
}


static ngx_int_t
ngx_http_oauth2_client_conf_id(ngx_http_oauth2_client_conf_t *client)
{
    u_char       fp[32];
    ngx_int_t    rc;
    ngx_str_t   *parts[5];
    ngx_uint_t   i;
    EVP_MD_CTX  *md;

    /* a client without a key (a secret, mTLS) has no fingerprint of it */

    ngx_memzero(fp, sizeof(fp));

    if (client->pkey != NULL
        && ngx_http_oauth2_client_key_fingerprint(client->pkey, fp) != 0)
    {
        return NGX_ERROR;
    }

    parts[0] = &client->name;
    parts[1] = &client->token_endpoint;
    parts[2] = &client->client_id;
    parts[3] = &client->scope;
    parts[4] = &client->key_id;

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        goto done;
    }

    /* each part is length-prefixed, so no two settings hash alike */

    for (i = 0; i < 5; i++) {
        if (EVP_DigestUpdate(md, &parts[i]->len, sizeof(size_t)) != 1
            || (parts[i]->len
                && EVP_DigestUpdate(md, parts[i]->data, parts[i]->len) != 1))
        {
            goto done;
        }
    }

    if (EVP_DigestUpdate(md, &client->signing_alg, sizeof(ngx_uint_t)) != 1
        || EVP_DigestUpdate(md, fp, sizeof(fp)) != 1
        || ngx_http_oauth2_client_auth_conf_id(client, md) != 0)
    {
        goto done;
    }

    /* a DPoP token is bound to the proof key: its thumbprint counts */

    if (client->dpop
        && EVP_DigestUpdate(md, client->dpop_ctx.jkt,
                            NGX_HTTP_OAUTH2_CLIENT_JKT_LEN + 1)
           != 1)
    {
        goto done;
    }

    if (EVP_DigestFinal_ex(md, client->conf_id, NULL) != 1) {
        goto done;
    }

    rc = NGX_OK;

done:

    EVP_MD_CTX_free(md);

    return rc;
}


static void
ngx_http_oauth2_client_free_key(void *data)
{
    EVP_PKEY_free(data);
}


static char *
ngx_http_oauth2_client_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_oauth2_client_loc_conf_t *olcf = conf;

    ngx_str_t  *value;

    if (olcf->name.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "takes a client name or \"off\"";
    }

    olcf->name = value[1];
    olcf->file = cf->conf_file->file.name.data;
    olcf->line = cf->conf_file->line;

    return NGX_CONF_OK;
}
