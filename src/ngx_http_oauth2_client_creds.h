
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The credentials layer of the token request for every method of client
 * authentication (RFC 6749 2.3, RFC 7523, RFC 8705), and the extra form
 * parameters of the request layer (token_param).  No nginx types.
 *
 * ngx_http_oauth2_client_auth_name(method), _auth_by_name(name, len)
 *     "private_key_jwt", "client_secret_basic", ... and back (AUTH_UNSET
 *     when unknown).
 *
 * ngx_http_oauth2_client_token_request_credentials(tr, c, err, errlen)
 *     adds what c->method sends to tr:
 *       private_key_jwt      client_assertion_type, client_assertion (a
 *                            new one, signed by c->a->pkey; x5t and
 *                            x5t#S256 in its header when c has them)
 *       client_secret_jwt    the same, an HS* JWS keyed by the secret
 *       client_secret_basic  the header Authorization: Basic (id and
 *                            secret form-encoded first, RFC 6749 2.3.1)
 *       client_secret_post   client_id, client_secret
 *       tls_client_auth, self_signed_tls_client_auth, none
 *                            client_id (the certificate, if any, is the
 *                            TLS layer's)
 *     0, or -1 with err set.  Nothing it adds is left unwiped: tr holds
 *     it, and token_request_free() cleanses it.
 *
 * ngx_http_oauth2_client_token_param_check(name, len, err, errlen)
 *     0 when name may be a token_param: letters, digits, "-", ".", "_",
 *     "~" (written as is), and none of the parameters the module sends
 *     itself (grant_type, scope, client_id, client_secret,
 *     client_assertion, client_assertion_type); -1 with err set.
 *
 * ngx_http_oauth2_client_token_param_value_check(name, nlen, value, vlen,
 *     err, errlen)
 *     0 when value may be the value of token_param name: any value, but
 *     that of "resource" must be an absolute URI without a fragment, in
 *     printable ASCII (RFC 8707 section 2); -1 with err set.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_CREDS_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_CREDS_H_INCLUDED_


#include <stddef.h>

#include "ngx_http_oauth2_client_body.h"


typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_AUTH_UNSET = 0,
    NGX_HTTP_OAUTH2_CLIENT_AUTH_PRIVATE_KEY_JWT,
    NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_BASIC,
    NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_POST,
    NGX_HTTP_OAUTH2_CLIENT_AUTH_CLIENT_SECRET_JWT,
    NGX_HTTP_OAUTH2_CLIENT_AUTH_TLS_CLIENT_AUTH,
    NGX_HTTP_OAUTH2_CLIENT_AUTH_SELF_SIGNED_TLS_CLIENT_AUTH,
    NGX_HTTP_OAUTH2_CLIENT_AUTH_NONE
} ngx_http_oauth2_client_auth_e;


typedef struct {
    int                                        method;     /* auth_e */

    /* client_id, audience, lifetime, now, kid; pkey and alg for
     * private_key_jwt; scope is not used */
    const ngx_http_oauth2_client_assertion_t  *a;

    int                                        hmac;       /* hmac_e */
    const unsigned char                       *secret;
    size_t                                     secret_len;

    const char                                *x5t;        /* or NULL */
    const char                                *x5t_s256;   /* or NULL */
} ngx_http_oauth2_client_creds_t;


const char *ngx_http_oauth2_client_auth_name(int method);
int ngx_http_oauth2_client_auth_by_name(const char *name, size_t len);
int ngx_http_oauth2_client_token_request_credentials(
    ngx_http_oauth2_client_token_request_t *tr,
    const ngx_http_oauth2_client_creds_t *c, char *err, size_t errlen);
int ngx_http_oauth2_client_token_param_check(const char *name, size_t len,
    char *err, size_t errlen);
int ngx_http_oauth2_client_token_param_value_check(const char *name,
    size_t nlen, const char *value, size_t vlen, char *err, size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_CREDS_H_INCLUDED_ */
