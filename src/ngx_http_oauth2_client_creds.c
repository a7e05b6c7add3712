
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The credentials of the token request, for every method of client
 * authentication.  Nothing here takes an nginx type.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ngx_http_oauth2_client_creds.h"
#include "ngx_http_oauth2_client_jwt.h"
#include "ngx_http_oauth2_client_secret.h"


#define NGX_HTTP_OAUTH2_CLIENT_ASSERTION_TYPE                               \
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


static int ngx_http_oauth2_client_creds_assertion(
    ngx_http_oauth2_client_token_request_t *tr,
    const ngx_http_oauth2_client_creds_t *c, char *err, size_t errlen);
static int ngx_http_oauth2_client_creds_basic(
    ngx_http_oauth2_client_token_request_t *tr,
    const ngx_http_oauth2_client_creds_t *c, char *err, size_t errlen);


/* in the order of auth_e */
static const char  *ngx_http_oauth2_client_auth_names[] = {
    "",
    "private_key_jwt",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
    "none"
};


/* the parameters the module sends itself: no token_param may repeat them */
static const char  *ngx_http_oauth2_client_own_params[] = {
    "grant_type",
    "scope",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type"
};


const char *
ngx_http_oauth2_client_auth_name(int method)
{
    if (method <= NGX_HTTP_OAUTH2_CLIENT_AUTH_UNSET
        || method > NGX_HTTP_OAUTH2_CLIENT_AUTH_NONE)
    {
        return "unset";
    }

    return ngx_http_oauth2_client_auth_names[method];
}


int
ngx_http_oauth2_client_auth_by_name(const char *name, size_t len)
{
    int  m;

    for (m = NGX_HTTP_OAUTH2_CLIENT_AUTH_PRIVATE_KEY_JWT;
         m <= NGX_HTTP_OAUTH2_CLIENT_AUTH_NONE;
         m++)
    {
        if (strlen(ngx_http_oauth2_client_auth_names[m]) == len
            && memcmp(ngx_http_oauth2_client_auth_names[m], name, len) == 0)
        {
            return m;
        }
    }

    return NGX_HTTP_OAUTH2_CLIENT_AUTH_UNSET;
}


int
ngx_http_oauth2_client_token_request_credentials(
    ngx_http_oauth2_client_token_request_t *tr,
    const ngx_http_oauth2_client_creds_t *c, char *err, size_t errlen)
{
    const ngx_http_oauth2_client_assertion_t  *a;

    a = c->a;

    if (a == NULL || a->client_id == NULL || a->client_id[0] == '\0') {
        ngx_http_oauth2_client_error(err, errlen, "no client_id");
        return -1;
    }

    switch (c->method) {

    case NGX_HTTP_OAUTH2_CLIENT_AUTH_PRIVATE_KEY_JWT:

        /* without thumbprints: the assertion of jose.c, as always */

        if (c->x5t == NULL && c->x5t_s256 == NULL) {
            return ngx_http_oauth2_client_token_request_private_key_jwt(tr,
                                                            a, err, errlen);
        }

        return ngx_http_oauth2_client_creds_assertion(tr, c, err, errlen);

    case NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT:
        return ngx_http_oauth2_client_creds_assertion(tr, c, err, errlen);

    case NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_BASIC:
        return ngx_http_oauth2_client_creds_basic(tr, c, err, errlen);

    case NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_POST:

        if (c->secret == NULL || c->secret_len == 0) {
            ngx_http_oauth2_client_error(err, errlen, "no client secret");
            return -1;
        }

        if (ngx_http_oauth2_client_token_request_param(tr, "client_id",
                                     (const unsigned char *) a->client_id,
                                     strlen(a->client_id), err, errlen)
            != 0)
        {
            return -1;
        }

        return ngx_http_oauth2_client_token_request_param(tr,
                                     "client_secret", c->secret,
                                     c->secret_len, err, errlen);

    case NGX_HTTP_OAUTH2_CLIENT_AUTH_TLS_CLIENT_AUTH:
    case NGX_HTTP_OAUTH2_CLIENT_AUTH_SELF_SIGNED_TLS_CLIENT_AUTH:
    case NGX_HTTP_OAUTH2_CLIENT_AUTH_NONE:

        /* RFC 8705 2: the client_id names the client the certificate is */

        return ngx_http_oauth2_client_token_request_param(tr, "client_id",
                                     (const unsigned char *) a->client_id,
                                     strlen(a->client_id), err, errlen);

    default:
        ngx_http_oauth2_client_error(err, errlen,
                                     "unknown client authentication "
                                     "method %d", c->method);
        return -1;
    }
}


/* every attempt signs a new assertion: a new jti, iat and exp */

static int
ngx_http_oauth2_client_creds_assertion(
    ngx_http_oauth2_client_token_request_t *tr,
    const ngx_http_oauth2_client_creds_t *c, char *err, size_t errlen)
{
    char                         *assertion;
    size_t                        len;
    ngx_http_oauth2_client_jwt_t  j;

    memset(&j, 0, sizeof(ngx_http_oauth2_client_jwt_t));

    j.a = c->a;

    if (c->method == NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT) {

        if (c->hmac == NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET
            || c->secret == NULL || c->secret_len == 0)
        {
            ngx_http_oauth2_client_error(err, errlen,
                                         "no client secret or HMAC");
            return -1;
        }

        j.hmac = c->hmac;
        j.secret = c->secret;
        j.secret_len = c->secret_len;

    } else {
        j.x5t = c->x5t;
        j.x5t_s256 = c->x5t_s256;
    }

    assertion = ngx_http_oauth2_client_jwt_assertion_create(&j, &len, err,
                                                            errlen);
    if (assertion == NULL) {
        return -1;
    }

    return ngx_http_oauth2_client_token_request_assertion(tr, assertion, len,
                                                          err, errlen);
}


static int
ngx_http_oauth2_client_creds_basic(ngx_http_oauth2_client_token_request_t *tr,
    const ngx_http_oauth2_client_creds_t *c, char *err, size_t errlen)
{
    char    *value;
    size_t   len;

    if (tr->nheaders == NGX_HTTP_OAUTH2_CLIENT_HEADERS_MAX) {
        ngx_http_oauth2_client_error(err, errlen, "too many headers");
        return -1;
    }

    value = ngx_http_oauth2_client_secret_basic(
                                     (const unsigned char *) c->a->client_id,
                                     strlen(c->a->client_id), c->secret,
                                     c->secret_len, &len, err, errlen);
    if (value == NULL) {
        return -1;
    }

    /* tr owns it now: token_request_free() wipes it */

    tr->headers[tr->nheaders].name = "Authorization";
    tr->headers[tr->nheaders].value = value;
    tr->nheaders++;

    return 0;
}


int
ngx_http_oauth2_client_token_param_check(const char *name, size_t len,
    char *err, size_t errlen)
{
    size_t  i;

    if (len == 0) {
        ngx_http_oauth2_client_error(err, errlen, "an empty name");
        return -1;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= 'A' && name[i] <= 'Z')
              || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '-' || name[i] == '.' || name[i] == '_'
              || name[i] == '~'))
        {
            ngx_http_oauth2_client_error(err, errlen,
                                         "use letters, digits, \"-\", "
                                         "\".\", \"_\" and \"~\" in a "
                                         "parameter name");
            return -1;
        }
    }

    for (i = 0; i < sizeof(ngx_http_oauth2_client_own_params)
                    / sizeof(ngx_http_oauth2_client_own_params[0]); i++)
    {
        if (strlen(ngx_http_oauth2_client_own_params[i]) == len
            && memcmp(ngx_http_oauth2_client_own_params[i], name, len) == 0)
        {
            ngx_http_oauth2_client_error(err, errlen,
                                         "the module sends \"%s\" itself",
                                         ngx_http_oauth2_client_own_params[i]);
            return -1;
        }
    }

    return 0;
}


/*
 * RFC 8707 section 2: a resource is an absolute URI (RFC 3986 section
 * 4.3: a scheme, ':', the rest) without a fragment.  A URI is printable
 * ASCII; what is not must be percent-encoded in the configuration, as
 * the server compares the value it registered.
 */

int
ngx_http_oauth2_client_token_param_value_check(const char *name,
    size_t nlen, const char *value, size_t vlen, char *err, size_t errlen)
{
    size_t  i;

    if (nlen != 8 || memcmp(name, "resource", 8) != 0) {
        return 0;
    }

    for (i = 0; i < vlen; i++) {
        if (!((value[i] >= 'a' && value[i] <= 'z')
              || (value[i] >= 'A' && value[i] <= 'Z')
              || (i > 0
                  && ((value[i] >= '0' && value[i] <= '9')
                      || value[i] == '+' || value[i] == '-'
                      || value[i] == '.'))))
        {
            break;
        }
    }

    if (i == 0 || i == vlen || value[i] != ':') {
        ngx_http_oauth2_client_error(err, errlen,
                                     "a resource is an absolute URI, with a "
                                     "scheme (RFC 8707 section 2)");
        return -1;
    }

    for (i = 0; i < vlen; i++) {
        if (value[i] == '#') {
            ngx_http_oauth2_client_error(err, errlen,
                                         "a resource has no fragment "
                                         "(\"#...\", RFC 8707 section 2)");
            return -1;
        }

        if ((unsigned char) value[i] <= 0x20
            || (unsigned char) value[i] >= 0x7f)
        {
            ngx_http_oauth2_client_error(err, errlen,
                                         "a resource is a URI: spaces, "
                                         "controls and non-ASCII bytes are "
                                         "percent-encoded");
            return -1;
        }
    }

    return 0;
}
