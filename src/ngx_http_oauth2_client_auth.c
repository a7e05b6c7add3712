
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * How a client authenticates to its token endpoint: the directives
 * auth_method, client_secret, client_secret_file, certificate and
 * token_param, the nginx -t checks of what they allow together, and the
 * credentials layer of each token request (built by creds.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_module.h"
#include "ngx_http_oauth2_client_file.h"
#include "ngx_http_oauth2_client_jwt.h"
#include "ngx_http_oauth2_client_secret.h"


static char *ngx_http_oauth2_client_set_auth_method(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_oauth2_client_set_secret(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_oauth2_client_set_certificate(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_oauth2_client_set_token_param(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_oauth2_client_auth_default(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_auth_combination(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_auth_read_secret(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
static ngx_int_t ngx_http_oauth2_client_auth_keep_secret(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, u_char *data, size_t len);
static void ngx_http_oauth2_client_auth_wipe(void *data);
static void ngx_http_oauth2_client_auth_scope_notice(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client);
#if (NGX_HTTP_SSL)
static ngx_int_t ngx_http_oauth2_client_auth_certificate_id(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, ngx_http_complex_value_t *cv);
#endif


ngx_command_t  ngx_http_oauth2_client_auth_commands[] = {

    { ngx_string("auth_method"),
      NGX_CONF_TAKE1,
      ngx_http_oauth2_client_set_auth_method,
      0,
      0,
      NULL },

    { ngx_string("client_secret"),
      NGX_CONF_TAKE1,
      ngx_http_oauth2_client_set_secret,
      0,
      1,
      NULL },

    { ngx_string("client_secret_file"),
      NGX_CONF_TAKE1,
      ngx_http_oauth2_client_set_secret,
      0,
      0,
      NULL },

    { ngx_string("certificate"),
      NGX_CONF_TAKE12,
      ngx_http_oauth2_client_set_certificate,
      0,
      0,
      NULL },

    { ngx_string("token_param"),
      NGX_CONF_TAKE2,
      ngx_http_oauth2_client_set_token_param,
      0,
      0,
      NULL },

      ngx_null_command
};


/* the scopes of OpenID Connect, which no client credentials grant gets */
static ngx_str_t  ngx_http_oauth2_client_oidc_scopes[] = {
    ngx_string("openid"),
    ngx_string("profile"),
    ngx_string("email"),
    ngx_string("address"),
    ngx_string("phone"),
    ngx_string("offline_access"),
    ngx_null_string
};


static char *
ngx_http_oauth2_client_set_auth_method(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_conf_t *client = conf;

    int         m;
    ngx_str_t  *value;

    if (client->auth.method != NGX_HTTP_OAUTH2_CLIENT_AUTH_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    m = ngx_http_oauth2_client_auth_by_name((char *) value[1].data,
                                            value[1].len);

    if (m == NGX_HTTP_OAUTH2_CLIENT_AUTH_UNSET) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_method\" must be private_key_jwt, "
                           "client_secret_basic, client_secret_post, "
                           "client_secret_jwt, tls_client_auth, "
                           "self_signed_tls_client_auth or none, not \"%V\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    client->auth.method = m;

    return NGX_CONF_OK;
}


/* client_secret (cmd->offset 1) and client_secret_file: one of them */

static char *
ngx_http_oauth2_client_set_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_conf_t *client = conf;

    ngx_int_t   rc;
    ngx_str_t  *value;

    if (client->auth.secret_file.data != NULL || client->auth.secret_inline) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oauth2_client \"%V\" has a client secret "
                           "already: give one \"client_secret\" or one "
                           "\"client_secret_file\"", &client->name);
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" of oauth2_client \"%V\" is empty",
                           &value[0], &client->name);
        return NGX_CONF_ERROR;
    }

    if (cmd->offset) {
        client->auth.secret_inline = 1;

        rc = ngx_http_oauth2_client_auth_keep_secret(cf, client,
                                                     value[1].data,
                                                     value[1].len);

        /*
         * The argument is a copy in the cycle's pool, kept as long as the
         * configuration: nginx does not read it after this handler (the
         * "nginx -T" dump is a copy of the file, not of the arguments),
         * so only the secret's own memory, wiped at the end, holds it.
         */

        ngx_explicit_memzero(value[1].data, value[1].len);

        return (rc == NGX_OK) ? NGX_CONF_OK : NGX_CONF_ERROR;
    }

    client->auth.secret_file = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_oauth2_client_set_certificate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_conf_t *client = conf;

    ngx_str_t  *value;

    if (client->auth.certificate.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "takes a file name";
    }

    if (cf->args->nelts == 3) {
        if (value[2].len != 3
            || ngx_strncmp(value[2].data, "x5t", 3) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" of "
                               "\"certificate\", expected \"x5t\"",
                               &value[2]);
            return NGX_CONF_ERROR;
        }

        client->auth.x5t = 1;
    }

    client->auth.certificate = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_oauth2_client_set_token_param(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_oauth2_client_conf_t *client = conf;

    char           err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char        *p;
    ngx_str_t     *value;
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    value = cf->args->elts;

    if (ngx_http_oauth2_client_token_param_check((char *) value[1].data,
                                                 value[1].len, err,
                                                 sizeof(err))
        != 0
        || ngx_http_oauth2_client_token_param_value_check(
                                                 (char *) value[1].data,
                                                 value[1].len,
                                                 (char *) value[2].data,
                                                 value[2].len, err,
                                                 sizeof(err))
           != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"token_param\" \"%V\" of oauth2_client "
                           "\"%V\": %s", &value[1], &client->name, err);
        return NGX_CONF_ERROR;
    }

    if (client->auth.params == NULL) {
        client->auth.params = ngx_array_create(cf->pool, 2,
                                               sizeof(ngx_keyval_t));
        if (client->auth.params == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    kv = ngx_array_push(client->auth.params);
    if (kv == NULL) {
        return NGX_CONF_ERROR;
    }

    /* NUL-terminated copies: the name is checked, the value form-encoded */

    for (i = 0; i < 2; i++) {
        p = ngx_pnalloc(cf->pool, value[i + 1].len + 1);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(p, value[i + 1].data, value[i + 1].len);
        p[value[i + 1].len] = '\0';

        if (i == 0) {
            kv->key.data = p;
            kv->key.len = value[1].len;

        } else {
            kv->value.data = p;
            kv->value.len = value[2].len;
        }
    }

    return NGX_CONF_OK;
}


/*
 * The block is read, the private key not yet: the method (given, or
 * told by what the block has), what it needs and what it cannot use, and
 * the secret read.  Every combination that cannot work stops nginx -t.
 */

ngx_int_t
ngx_http_oauth2_client_auth_finish(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    ngx_http_oauth2_client_auth_scope_notice(cf, client);

    if (ngx_http_oauth2_client_auth_default(cf, client) != NGX_OK
        || ngx_http_oauth2_client_auth_combination(cf, client) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (client->auth.secret_file.data != NULL
        && ngx_http_oauth2_client_auth_read_secret(cf, client) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_auth_default(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    ngx_uint_t  key, secret;

    if (client->auth.method != NGX_HTTP_OAUTH2_CLIENT_AUTH_UNSET) {
        return NGX_OK;
    }

    key = (client->private_key.data != NULL);
    secret = (client->auth.secret_file.data != NULL
              || client->auth.secret_inline);

    if (key && secret) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "oauth2_client \"%V\" has a \"private_key\" and "
                           "a client secret: say which to use with "
                           "\"auth_method\"", &client->name);
        return NGX_ERROR;
    }

    if (key) {
        client->auth.method = NGX_HTTP_OAUTH2_CLIENT_AUTH_PRIVATE_KEY_JWT;

    } else if (secret) {
        client->auth.method = (client->auth.hmac != 0)
                              ? NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT
                              : NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_BASIC;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"private_key\" or \"client_secret_file\" is "
                           "missing in oauth2_client \"%V\"", &client->name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_auth_combination(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    char        *what, *name;
    ngx_uint_t   m, key, secret, jwt;

    m = client->auth.method;
    name = (char *) ngx_http_oauth2_client_auth_name((int) m);

    key = (client->private_key.data != NULL);
    secret = (client->auth.secret_file.data != NULL
              || client->auth.secret_inline);
    jwt = (m == NGX_HTTP_OAUTH2_CLIENT_AUTH_PRIVATE_KEY_JWT
           || m == NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT);

    what = NULL;

    if (m == NGX_HTTP_OAUTH2_CLIENT_AUTH_PRIVATE_KEY_JWT) {
        if (!key) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"private_key\" is missing in oauth2_client "
                               "\"%V\"", &client->name);
            return NGX_ERROR;
        }

        if (secret) {
            what = client->auth.secret_inline ? "client_secret"
                                              : "client_secret_file";

        } else if (client->auth.hmac != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"signing_alg\" %s of oauth2_client \"%V\" "
                               "is for client_secret_jwt, not for a "
                               "\"private_key\"",
                               ngx_http_oauth2_client_hmac_name(
                                   (int) client->auth.hmac),
                               &client->name);
            return NGX_ERROR;
        }

    } else if (key) {
        what = "private_key";

    } else if (client->auth.certificate.data != NULL) {
        what = "certificate";

    } else if (m == NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_BASIC
               || m == NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_POST
               || m == NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT)
    {
        if (!secret) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"client_secret_file\" is missing in "
                               "oauth2_client \"%V\" (auth_method %s)",
                               &client->name, name);
            return NGX_ERROR;
        }

    } else if (secret) {
        what = client->auth.secret_inline ? "client_secret"
                                          : "client_secret_file";
    }

    if (what == NULL && !jwt) {
        if (client->signing_alg != NGX_CONF_UNSET_UINT
            || client->auth.hmac != 0)
        {
            what = "signing_alg";

        } else if (client->key_id.data != NULL) {
            what = "key_id";
        }
    }

    if (what != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" cannot be used with auth_method %s in "
                           "oauth2_client \"%V\"", what, name,
                           &client->name);
        return NGX_ERROR;
    }

    if (m == NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT) {

        if (client->signing_alg != NGX_CONF_UNSET_UINT) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"signing_alg\" of oauth2_client \"%V\" "
                               "must be HS256, HS384 or HS512 with "
                               "auth_method client_secret_jwt",
                               &client->name);
            return NGX_ERROR;
        }

        if (client->auth.hmac == 0) {
            client->auth.hmac = NGX_HTTP_OAUTH2_CLIENT_HMAC_HS256;
        }
    }

    /* RFC 8705: the certificate is sent in the TLS handshake */

    if ((m == NGX_HTTP_OAUTH2_CLIENT_AUTH_TLS_CLIENT_AUTH
         || m == NGX_HTTP_OAUTH2_CLIENT_AUTH_SELF_SIGNED_TLS_CLIENT_AUTH)
        && ngx_strncasecmp(client->token_endpoint.data,
                           (u_char *) "https://", 8) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "auth_method %s of oauth2_client \"%V\" needs an "
                           "https:// \"token_endpoint\"", name,
                           &client->name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Read by the master at configuration time, like the key: a file only
 * root may read works while the workers run unprivileged.  The file's
 * buffer is cleansed; the secret is kept in memory of its own, wiped
 * when the configuration goes.
 */

static ngx_int_t
ngx_http_oauth2_client_auth_read_secret(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    char                           err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char                        *path;
    size_t                         len;
    unsigned                       mode;
    ngx_int_t                      rc;
    ngx_str_t                     *file;
    ngx_http_oauth2_client_file_t  f;

    file = &client->auth.secret_file;

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    path = ngx_pnalloc(cf->pool, file->len + 1);
    if (path == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(path, file->data, file->len);
    path[file->len] = '\0';

    ngx_memzero(&f, sizeof(ngx_http_oauth2_client_file_t));

    if (ngx_http_oauth2_client_file_read((char *) path,
                                         NGX_HTTP_OAUTH2_CLIENT_SECRET_MAX,
                                         &f, err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"client_secret_file\" of oauth2_client \"%V\": "
                           "%s", &client->name, err);
        return NGX_ERROR;
    }

    /* a secret written by echo or an editor ends with a newline: not its */

    mode = f.mode;
    len = ngx_http_oauth2_client_passphrase_trim(f.data, f.len);

    if (len == 0) {
        ngx_http_oauth2_client_file_free(&f);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"client_secret_file\" \"%V\" of oauth2_client "
                           "\"%V\" is empty", file, &client->name);
        return NGX_ERROR;
    }

    rc = ngx_http_oauth2_client_auth_keep_secret(cf, client, f.data, len);

    ngx_http_oauth2_client_file_free(&f);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (mode & (S_IRWXG|S_IRWXO)) {
        ngx_conf_log_error(NGX_LOG_NOTICE, cf, 0,
                           "\"client_secret_file\" \"%V\" of oauth2_client "
                           "\"%V\" is accessible to other users (mode "
                           "0%ui%ui%ui): 0600, owned by root, is enough",
                           file, &client->name,
                           (ngx_uint_t) (mode >> 6 & 7),
                           (ngx_uint_t) (mode >> 3 & 7),
                           (ngx_uint_t) (mode & 7));
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_oauth2_client_auth_keep_secret(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, u_char *data, size_t len)
{
    u_char              *p;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_str_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(cf->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, data, len);
    p[len] = '\0';

    client->auth.secret.data = p;
    client->auth.secret.len = len;

    *(ngx_str_t *) cln->data = client->auth.secret;
    cln->handler = ngx_http_oauth2_client_auth_wipe;

    return NGX_OK;
}


static void
ngx_http_oauth2_client_auth_wipe(void *data)
{
    ngx_str_t  *s = data;

    OPENSSL_cleanse(s->data, s->len);
}


/*
 * Okta's org and custom authorization servers refuse the scopes of
 * OpenID Connect in a client credentials grant (invalid_scope): said,
 * not refused, since another server may take them.
 */

static void
ngx_http_oauth2_client_auth_scope_notice(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    u_char     *p, *last, *word;
    ngx_str_t  *s;

    p = client->scope.data;
    last = p + client->scope.len;

    while (p < last) {
        while (p < last && *p == ' ') {
            p++;
        }

        word = p;

        while (p < last && *p != ' ') {
            p++;
        }

        for (s = ngx_http_oauth2_client_oidc_scopes; s->len; s++) {
            if ((size_t) (p - word) == s->len
                && ngx_strncmp(word, s->data, s->len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_NOTICE, cf, 0,
                                   "oauth2_client \"%V\" asks for the "
                                   "OpenID Connect scope \"%V\", which a "
                                   "client credentials grant does not get "
                                   "(Okta answers invalid_scope)",
                                   &client->name, s);
                return;
            }
        }
    }
}


/*
 * After the key: the certificate of the assertions (Entra ID's
 * certificate credentials), which must be the key's, and the length of
 * a client_secret_jwt secret.
 */

ngx_int_t
ngx_http_oauth2_client_auth_finish_key(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client)
{
    int        rc;
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char    *path;
    X509      *x;
    ngx_str_t *file;

    if (client->auth.method == NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT
        && ngx_http_oauth2_client_hmac_key_check((int) client->auth.hmac,
                                                 client->auth.secret.len,
                                                 err, sizeof(err))
           != 0)
    {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "the client secret of oauth2_client \"%V\" is "
                           "weak for %s: %s", &client->name,
                           ngx_http_oauth2_client_hmac_name(
                               (int) client->auth.hmac),
                           err);
    }

    file = &client->auth.certificate;

    if (file->data == NULL) {
        return NGX_OK;
    }

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    path = ngx_pnalloc(cf->pool, file->len + 1);
    if (path == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(path, file->data, file->len);
    path[file->len] = '\0';

    x = ngx_http_oauth2_client_cert_load((char *) path, err, sizeof(err));
    if (x == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"certificate\" of oauth2_client \"%V\": %s",
                           &client->name, err);
        return NGX_ERROR;
    }

    if (ngx_http_oauth2_client_cert_check_key(x, client->pkey, err,
                                              sizeof(err))
        != 0)
    {
        X509_free(x);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"certificate\" \"%V\" of oauth2_client \"%V\" "
                           "is not of its \"private_key\": %s", file,
                           &client->name, err);
        return NGX_ERROR;
    }

    /* an expired certificate may still be registered: a warning */

    rc = ngx_http_oauth2_client_cert_check_time(x, ngx_time(), err,
                                                sizeof(err));
    if (rc == 1) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"certificate\" \"%V\" of oauth2_client \"%V\": "
                           "%s", file, &client->name, err);
    }

    if (rc == -1
        || ngx_http_oauth2_client_cert_thumbprints(x, client->auth.c_x5t,
                                                   client->auth.c_x5t_s256)
           != 0)
    {
        X509_free(x);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"certificate\" \"%V\" of oauth2_client \"%V\": "
                           "could not read it", file, &client->name);
        return NGX_ERROR;
    }

    X509_free(x);

    return NGX_OK;
}


/*
 * Once the locations are in their trees: with tls_client_auth, the
 * token location sends the certificate itself (proxy_ssl_certificate);
 * the module does no TLS of its own.
 */

ngx_int_t
ngx_http_oauth2_client_auth_check_location(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, ngx_http_upstream_conf_t *ucf)
{
    if (client->auth.method != NGX_HTTP_OAUTH2_CLIENT_AUTH_TLS_CLIENT_AUTH
        && client->auth.method
           != NGX_HTTP_OAUTH2_CLIENT_AUTH_SELF_SIGNED_TLS_CLIENT_AUTH)
    {
        return NGX_OK;
    }

#if (NGX_HTTP_SSL)

    /*
     * The token_endpoint is only what the assertion and the cache name;
     * the request goes where the location's proxy_pass says.  A fixed
     * address (an upstream) over plain http would send no certificate:
     * the proxy module creates the SSL context of a location only for an
     * https:// (or variable) proxy_pass, in every version.  A
     * proxy_pass with variables is known per request: not checked.
     */

    if (ucf->upstream != NULL
        && (ucf->ssl == NULL || ucf->ssl->ctx == NULL))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "oauth2 client \"%V\": auth_method %s needs an "
                      "https:// \"proxy_pass\" in its token location "
                      "\"%V\"", &client->name,
                      ngx_http_oauth2_client_auth_name(
                                                   (int) client->auth.method),
                      &client->token_location);
        return NGX_ERROR;
    }

    if (ucf->ssl_certificate != NULL) {
        return ngx_http_oauth2_client_auth_certificate_id(cf, client,
                                                          ucf->ssl_certificate);
    }

#endif

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "oauth2 client \"%V\": auth_method %s needs "
                  "\"proxy_ssl_certificate\" and "
                  "\"proxy_ssl_certificate_key\" in its token location "
                  "\"%V\"", &client->name,
                  ngx_http_oauth2_client_auth_name((int) client->auth.method),
                  &client->token_location);

    return NGX_ERROR;
}


#if (NGX_HTTP_SSL)

/*
 * With mTLS the certificate is the credential, so it belongs in the cache
 * key like a secret: a reload that swaps it must fetch a new token (the
 * old one may be bound to the old certificate, RFC 8705 section 3).
 * conf_id was computed when the oauth2_client block ended, before the
 * locations were known; the certificate's SHA-256 is folded into it here,
 * still before the zone is initialised and compares it.  A certificate
 * given with variables is known only per request: its expression is
 * what is folded in.
 */

static ngx_int_t
ngx_http_oauth2_client_auth_certificate_id(ngx_conf_t *cf,
    ngx_http_oauth2_client_conf_t *client, ngx_http_complex_value_t *cv)
{
    char                            err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    u_char                         *path, tag, id[32];
    ngx_int_t                       rc;
    ngx_str_t                       name;
    EVP_MD_CTX                     *md;
    ngx_http_oauth2_client_file_t   f;

    ngx_memzero(&f, sizeof(ngx_http_oauth2_client_file_t));

    if (cv->lengths == NULL) {
        name = cv->value;

        if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        path = ngx_pnalloc(cf->pool, name.len + 1);
        if (path == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(path, name.data, name.len);
        path[name.len] = '\0';

        if (ngx_http_oauth2_client_file_read((char *) path,
                                             NGX_HTTP_OAUTH2_CLIENT_FILE_MAX,
                                             &f, err, sizeof(err))
            != 0)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "oauth2 client \"%V\": \"proxy_ssl_certificate\" "
                          "of token location \"%V\": %s", &client->name,
                          &client->token_location, err);
            return NGX_ERROR;
        }

        tag = 'f';

    } else {
        f.data = cv->value.data;
        f.len = cv->value.len;
        tag = 'v';
    }

    rc = NGX_ERROR;

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        goto done;
    }

    /* the tag: no file's content hashes like an expression */

    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(md, client->conf_id, sizeof(client->conf_id))
           != 1
        || EVP_DigestUpdate(md, &tag, 1) != 1
        || EVP_DigestUpdate(md, f.data, f.len) != 1
        || EVP_DigestFinal_ex(md, id, NULL) != 1)
    {
        goto done;
    }

    ngx_memcpy(client->conf_id, id, sizeof(client->conf_id));

    rc = NGX_OK;

done:

    EVP_MD_CTX_free(md);

    if (tag == 'f') {
        ngx_http_oauth2_client_file_free(&f);
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "oauth2 client \"%V\": could not fingerprint the "
                      "certificate of token location \"%V\"",
                      &client->name, &client->token_location);
    }

    return rc;
}

#endif


/*
 * What of the client authentication shapes a token, for the cache key:
 * the method, the HMAC, the secret, the certificate, the parameters in
 * their order.  conf_id is a SHA-256: the secret is not in it as such.
 */

int
ngx_http_oauth2_client_auth_conf_id(ngx_http_oauth2_client_conf_t *client,
    EVP_MD_CTX *md)
{
    ngx_uint_t     i, n;
    ngx_str_t     *parts[2];
    ngx_keyval_t  *kv;

    if (EVP_DigestUpdate(md, &client->auth.method, sizeof(ngx_uint_t)) != 1
        || EVP_DigestUpdate(md, &client->auth.hmac, sizeof(ngx_int_t)) != 1
        || EVP_DigestUpdate(md, &client->auth.secret.len, sizeof(size_t))
           != 1
        || (client->auth.secret.len
            && EVP_DigestUpdate(md, client->auth.secret.data,
                                client->auth.secret.len)
               != 1)
        || EVP_DigestUpdate(md, &client->auth.x5t, sizeof(ngx_flag_t)) != 1
        || EVP_DigestUpdate(md, client->auth.c_x5t_s256,
                            sizeof(client->auth.c_x5t_s256))
           != 1)
    {
        return -1;
    }

    n = (client->auth.params != NULL) ? client->auth.params->nelts : 0;
    kv = (n != 0) ? client->auth.params->elts : NULL;

    /* each part length-prefixed, so no two lists hash alike */

    for (i = 0; i < n; i++) {
        parts[0] = &kv[i].key;
        parts[1] = &kv[i].value;

        if (EVP_DigestUpdate(md, &parts[0]->len, sizeof(size_t)) != 1
            || EVP_DigestUpdate(md, parts[0]->data, parts[0]->len) != 1
            || EVP_DigestUpdate(md, &parts[1]->len, sizeof(size_t)) != 1
            || (parts[1]->len
                && EVP_DigestUpdate(md, parts[1]->data, parts[1]->len) != 1))
        {
            return -1;
        }
    }

    return 0;
}


/*
 * The token request past the grant: the extra parameters in the order
 * written, then the credentials of the client's method.  msg (len
 * bytes) says what failed, NUL-terminated.
 */

ngx_int_t
ngx_http_oauth2_client_auth_build(ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_token_request_t *tr, u_char *msg, size_t len)
{
    char                                err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    ngx_uint_t                          i, n;
    ngx_keyval_t                       *kv;
    ngx_http_oauth2_client_creds_t      c;
    ngx_http_oauth2_client_assertion_t  a;

    n = (client->auth.params != NULL) ? client->auth.params->nelts : 0;
    kv = (n != 0) ? client->auth.params->elts : NULL;

    for (i = 0; i < n; i++) {
        if (ngx_http_oauth2_client_token_request_param(tr,
                                                (char *) kv[i].key.data,
                                                kv[i].value.data,
                                                kv[i].value.len, err,
                                                sizeof(err))
            != 0)
        {
            *ngx_slprintf(msg, msg + len - 1, "could not build the token "
                          "request: %s", err) = '\0';
            return NGX_ERROR;
        }
    }

    /* every attempt signs a new assertion: a new jti, iat and exp */

    a.pkey = client->pkey;
    a.alg = (int) client->signing_alg;
    a.kid = client->c_key_id;
    a.client_id = client->c_client_id;
    a.audience = client->c_audience;
    a.scope = client->c_scope;
    a.lifetime = (long) client->assertion_lifetime;
    a.now = ngx_time();

    ngx_memzero(&c, sizeof(ngx_http_oauth2_client_creds_t));

    c.method = (int) client->auth.method;
    c.a = &a;
    c.hmac = (int) client->auth.hmac;
    c.secret = client->auth.secret.data;
    c.secret_len = client->auth.secret.len;

    if (client->auth.certificate.data != NULL) {
        c.x5t_s256 = client->auth.c_x5t_s256;
        c.x5t = client->auth.x5t ? client->auth.c_x5t : NULL;
    }

    if (ngx_http_oauth2_client_token_request_credentials(tr, &c, err,
                                                         sizeof(err))
        != 0)
    {
        if (c.method == NGX_HTTP_OAUTH2_CLIENT_AUTH_PRIVATE_KEY_JWT
            || c.method == NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT)
        {
            *ngx_slprintf(msg, msg + len - 1, "could not sign the client "
                          "assertion: %s", err) = '\0';

        } else {
            *ngx_slprintf(msg, msg + len - 1, "could not add the client "
                          "credentials: %s", err) = '\0';
        }

        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The hint of a refusal, by what the client sends: the backoff's hint is
 * private_key_jwt's.  A client with token_param may name an API the
 * server does not know (RFC 8707 invalid_target; Auth0's access_denied).
 */

const char *
ngx_http_oauth2_client_auth_hint(ngx_http_oauth2_client_conf_t *client,
    ngx_http_oauth2_client_result_t *res, const char *hint)
{
    if (*hint == '\0') {
        return hint;
    }

    if (client->auth.params != NULL
        && (ngx_strcmp(res->error, "invalid_target") == 0
            || ngx_strcmp(res->error, "access_denied") == 0))
    {
        return ": check the token_param audience or resource against the "
               "APIs the server knows for the client";
    }

    if (ngx_strcmp(res->error, "invalid_client") != 0) {
        return hint;
    }

    switch (client->auth.method) {

    case NGX_HTTP_OAUTH2_CLIENT_AUTH_PRIVATE_KEY_JWT:

        if (client->auth.certificate.data == NULL) {
            return hint;
        }

        return ": the server does not accept the client; check client_id, "
               "certificate (registered with the server), private_key and "
               "that token_endpoint is the URL the server expects";

    case NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_BASIC:
    case NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_POST:
        return ": the server does not accept the client; check client_id "
               "and the secret of client_secret_file (or client_secret), "
               "and the auth_method the server expects";

    case NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT:
        return ": the server does not accept the client; check client_id "
               "and the secret of client_secret_file (or client_secret), "
               "signing_alg, and that token_endpoint is the URL the server "
               "expects";

    case NGX_HTTP_OAUTH2_CLIENT_AUTH_TLS_CLIENT_AUTH:
    case NGX_HTTP_OAUTH2_CLIENT_AUTH_SELF_SIGNED_TLS_CLIENT_AUTH:
        return ": the server does not accept the client's certificate; "
               "check proxy_ssl_certificate of the token location (the "
               "subject or certificate registered with the server) and "
               "client_id";

    default:
        return ": the server does not accept the client; check client_id, "
               "and that the server lets it authenticate with none";
    }
}
