
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * client_secret_jwt and certificate-thumbprint client assertions.  See
 * ngx_http_oauth2_client_jwt.h.
 */


#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_encode.h"
#include "ngx_http_oauth2_client_jose.h"
#include "ngx_http_oauth2_client_jwt.h"


/* the sig buffer of jws_sign(): a 4096-bit RSA signature */
#define NGX_HTTP_OAUTH2_CLIENT_JWT_SIG_MAX     512


static int ngx_http_oauth2_client_jwt_check(
    const ngx_http_oauth2_client_jwt_t *j, char *err, size_t errlen);
static char *ngx_http_oauth2_client_jwt_header(
    const ngx_http_oauth2_client_jwt_t *j, const char *alg, char *err,
    size_t errlen);
static char *ngx_http_oauth2_client_jwt_claims(
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen);
static const char *ngx_http_oauth2_client_hmac_digest(int hmac);


static const char  *ngx_http_oauth2_client_hmac_names[] = {
    NULL, "HS256", "HS384", "HS512"
};


const char *
ngx_http_oauth2_client_hmac_name(int hmac)
{
    if (hmac <= NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET
        || hmac > NGX_HTTP_OAUTH2_CLIENT_HMAC_HS512)
    {
        return NULL;
    }

    return ngx_http_oauth2_client_hmac_names[hmac];
}


int
ngx_http_oauth2_client_hmac_by_name(const char *name, size_t len)
{
    int  h;

    if (name == NULL) {
        return NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET;
    }

    for (h = NGX_HTTP_OAUTH2_CLIENT_HMAC_HS256;
         h <= NGX_HTTP_OAUTH2_CLIENT_HMAC_HS512;
         h++)
    {
        if (len == 5 && memcmp(name, ngx_http_oauth2_client_hmac_names[h], 5)
                        == 0)
        {
            return h;
        }
    }

    return NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET;
}


static const char *
ngx_http_oauth2_client_hmac_digest(int hmac)
{
    switch (hmac) {

    case NGX_HTTP_OAUTH2_CLIENT_HMAC_HS256:
        return "SHA256";

    case NGX_HTTP_OAUTH2_CLIENT_HMAC_HS384:
        return "SHA384";

    case NGX_HTTP_OAUTH2_CLIENT_HMAC_HS512:
        return "SHA512";

    default:
        return NULL;
    }
}


int
ngx_http_oauth2_client_hmac_key_check(int hmac, size_t secret_len,
    char *err, size_t errlen)
{
    size_t  need;

    switch (hmac) {

    case NGX_HTTP_OAUTH2_CLIENT_HMAC_HS256:
        need = 32;
        break;

    case NGX_HTTP_OAUTH2_CLIENT_HMAC_HS384:
        need = 48;
        break;

    case NGX_HTTP_OAUTH2_CLIENT_HMAC_HS512:
        need = 64;
        break;

    default:
        ngx_http_oauth2_client_error(err, errlen, "unknown HMAC algorithm %d",
                                     hmac);
        return -1;
    }

    if (secret_len < need) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "a client secret of %zu bytes is "
                                     "shorter than %s wants (%zu, RFC 7518 "
                                     "section 3.2)", secret_len,
                                     ngx_http_oauth2_client_hmac_name(hmac),
                                     need);
        return -1;
    }

    return 0;
}


int
ngx_http_oauth2_client_jws_hmac(int hmac, const unsigned char *secret,
    size_t slen, const unsigned char *input, size_t len, unsigned char *sig,
    size_t *siglen, char *err, size_t errlen)
{
    const char  *md;

    md = ngx_http_oauth2_client_hmac_digest(hmac);
    if (md == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "unknown HMAC algorithm %d",
                                     hmac);
        return -1;
    }

    if (secret == NULL || slen == 0) {
        ngx_http_oauth2_client_error(err, errlen, "no client secret");
        return -1;
    }

    if (sig == NULL || siglen == NULL || (input == NULL && len != 0)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "jws_hmac() called without input or "
                                     "signature buffer");
        return -1;
    }

    if (EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, secret, slen, input, len,
                  sig, NGX_HTTP_OAUTH2_CLIENT_HMAC_MAX, siglen)
        == NULL)
    {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen, "HMAC-%s failed", md);
        return -1;
    }

    return 0;
}


static int
ngx_http_oauth2_client_jwt_check(const ngx_http_oauth2_client_jwt_t *j,
    char *err, size_t errlen)
{
    const ngx_http_oauth2_client_assertion_t  *a;

    if (j == NULL || j->a == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no assertion parameters");
        return -1;
    }

    a = j->a;

    if (j->hmac != NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET) {
        if (ngx_http_oauth2_client_hmac_name(j->hmac) == NULL) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "unknown HMAC algorithm %d",
                                         j->hmac);
            return -1;
        }

        if (j->secret == NULL || j->secret_len == 0) {
            ngx_http_oauth2_client_error(err, errlen, "no client secret");
            return -1;
        }

    } else {
        if (a->pkey == NULL) {
            ngx_http_oauth2_client_error(err, errlen, "no private key");
            return -1;
        }

        if (ngx_http_oauth2_client_alg_name(a->alg) == NULL) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "unknown signing_alg %d", a->alg);
            return -1;
        }
    }

    if (a->client_id == NULL || a->client_id[0] == '\0') {
        ngx_http_oauth2_client_error(err, errlen, "no client_id");
        return -1;
    }

    if (a->audience == NULL || a->audience[0] == '\0') {
        ngx_http_oauth2_client_error(err, errlen,
                                     "no audience (token endpoint)");
        return -1;
    }

    if (a->lifetime < 1 || a->lifetime > NGX_HTTP_OAUTH2_CLIENT_LIFETIME_MAX) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "assertion lifetime %ld is not in the "
                                     "range 1..%d seconds", a->lifetime,
                                     NGX_HTTP_OAUTH2_CLIENT_LIFETIME_MAX);
        return -1;
    }

    return 0;
}


static char *
ngx_http_oauth2_client_jwt_header(const ngx_http_oauth2_client_jwt_t *j,
    const char *alg, char *err, size_t errlen)
{
    int      rc;
    char    *s;
    json_t  *json;

    json = json_pack("{s:s, s:s}", "alg", alg, "typ", "JWT");
    if (json == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "could not build the JWT header");
        return NULL;
    }

    rc = 0;

    if (j->a->kid != NULL) {
        rc |= json_object_set_new(json, "kid", json_string(j->a->kid));
    }

    if (j->x5t != NULL) {
        rc |= json_object_set_new(json, "x5t", json_string(j->x5t));
    }

    if (j->x5t_s256 != NULL) {
        rc |= json_object_set_new(json, "x5t#S256",
                                  json_string(j->x5t_s256));
    }

    s = rc == 0 ? json_dumps(json, JSON_COMPACT) : NULL;

    json_decref(json);

    if (s == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "could not build the JWT header (is "
                                     "the kid valid UTF-8?)");
    }

    return s;
}


/* the claims of jose.c's assertion_create(), with a new jti */

static char *
ngx_http_oauth2_client_jwt_claims(const ngx_http_oauth2_client_assertion_t *a,
    char *err, size_t errlen)
{
    char           *s;
    json_t         *json;
    json_error_t    jerr;
    unsigned char   jti[NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES];
    unsigned char   jti64[2 * NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES + 1];

    if (RAND_bytes(jti, sizeof(jti)) != 1) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen, "RAND_bytes() failed");
        return NULL;
    }

    jti64[ngx_http_oauth2_client_base64url_encode(jti64, jti, sizeof(jti))]
        = '\0';

    json = json_pack_ex(&jerr, 0, "{s:s, s:s, s:s, s:I, s:I, s:s}",
                        "iss", a->client_id,
                        "sub", a->client_id,
                        "aud", a->audience,
                        "iat", (json_int_t) a->now,
                        "exp", (json_int_t) a->now + a->lifetime,
                        "jti", (const char *) jti64);
    if (json == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "could not build the JWT claims (is "
                                     "client_id or the token endpoint valid "
                                     "UTF-8?): %s", jerr.text);
        return NULL;
    }

    s = json_dumps(json, JSON_COMPACT);
    json_decref(json);

    if (s == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "could not serialize the JWT claims");
    }

    return s;
}


char *
ngx_http_oauth2_client_jwt_assertion_create(
    const ngx_http_oauth2_client_jwt_t *j, size_t *len, char *err,
    size_t errlen)
{
    int             rc;
    char           *header, *claims, *out;
    size_t          hlen, clen, size, siglen;
    const char     *alg;
    unsigned char  *p;
    unsigned char   sig[NGX_HTTP_OAUTH2_CLIENT_JWT_SIG_MAX];

    if (ngx_http_oauth2_client_jwt_check(j, err, errlen) != 0) {
        return NULL;
    }

    alg = j->hmac != NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET
          ? ngx_http_oauth2_client_hmac_name(j->hmac)
          : ngx_http_oauth2_client_alg_name(j->a->alg);

    out = NULL;
    claims = NULL;

    header = ngx_http_oauth2_client_jwt_header(j, alg, err, errlen);
    if (header == NULL) {
        goto done;
    }

    claims = ngx_http_oauth2_client_jwt_claims(j->a, err, errlen);
    if (claims == NULL) {
        goto done;
    }

    hlen = strlen(header);
    clen = strlen(claims);

    size = ngx_http_oauth2_client_base64url_encoded_len(hlen) + 1
           + ngx_http_oauth2_client_base64url_encoded_len(clen) + 1
           + ngx_http_oauth2_client_base64url_encoded_len(sizeof(sig)) + 1;

    out = malloc(size);
    if (out == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "malloc(%zu) failed", size);
        goto done;
    }

    p = (unsigned char *) out;
    p += ngx_http_oauth2_client_base64url_encode(p,
                                         (const unsigned char *) header, hlen);
    *p++ = '.';
    p += ngx_http_oauth2_client_base64url_encode(p,
                                         (const unsigned char *) claims, clen);

    if (j->hmac != NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET) {
        rc = ngx_http_oauth2_client_jws_hmac(j->hmac, j->secret,
                                   j->secret_len, (unsigned char *) out,
                                   (size_t) (p - (unsigned char *) out), sig,
                                   &siglen, err, errlen);

    } else {
        rc = ngx_http_oauth2_client_jws_sign(j->a->pkey, j->a->alg,
                                   (unsigned char *) out,
                                   (size_t) (p - (unsigned char *) out), sig,
                                   &siglen, err, errlen);
    }

    if (rc != 0) {
        free(out);
        out = NULL;
        goto done;
    }

    *p++ = '.';
    p += ngx_http_oauth2_client_base64url_encode(p, sig, siglen);
    *p = '\0';

    if (len != NULL) {
        *len = (size_t) (p - (unsigned char *) out);
    }

done:

    free(header);
    free(claims);

    return out;
}
