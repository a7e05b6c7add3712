
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * JWS signatures and the signed client assertion of private_key_jwt
 * (RFC 7523).  Nothing here takes an nginx type.
 */


#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "ngx_http_oauth2_client_jose.h"
#include "ngx_http_oauth2_client_key.h"


/* the sig buffer of jws_sign(): an RSA signature of up to 4096 bits */
#define NGX_HTTP_OAUTH2_CLIENT_SIG_MAX         512


static int ngx_http_oauth2_client_ecdsa_to_jose(const unsigned char *der,
    size_t derlen, size_t n, unsigned char *sig);
static int ngx_http_oauth2_client_assertion_check(
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen);
static char *ngx_http_oauth2_client_json_dump(json_t *json, char *err,
    size_t errlen, const char *what);
static char *ngx_http_oauth2_client_assertion_header(
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen);
static char *ngx_http_oauth2_client_assertion_claims(
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen);


/* OpenSSL gives ECDSA signatures as DER; JWS wants r and s side by side */

static int
ngx_http_oauth2_client_ecdsa_to_jose(const unsigned char *der, size_t derlen,
    size_t n, unsigned char *sig)
{
    int                   rc;
    ECDSA_SIG            *es;
    const BIGNUM         *r, *s;
    const unsigned char  *p;

    p = der;

    es = d2i_ECDSA_SIG(NULL, &p, (long) derlen);
    if (es == NULL) {
        return -1;
    }

    rc = -1;

    if (p == der + derlen) {
        ECDSA_SIG_get0(es, &r, &s);

        if (BN_bn2binpad(r, sig, (int) n) == (int) n
            && BN_bn2binpad(s, sig + n, (int) n) == (int) n)
        {
            rc = 0;
        }
    }

    ECDSA_SIG_free(es);

    return rc;
}


int
ngx_http_oauth2_client_jws_sign(EVP_PKEY *pkey, int alg,
    const unsigned char *input, size_t len, unsigned char *sig,
    size_t *siglen, char *err, size_t errlen)
{
    int             rc, size;
    size_t          n, ec;
    EVP_MD_CTX     *ctx;
    const EVP_MD   *md;
    EVP_PKEY_CTX   *pctx;
    unsigned char   buf[NGX_HTTP_OAUTH2_CLIENT_SIG_MAX];

    if (pkey == NULL || sig == NULL || siglen == NULL
        || (input == NULL && len != 0))
    {
        ngx_http_oauth2_client_error(err, errlen,
                                     "jws_sign() called without a key, "
                                     "input or signature buffer");
        return -1;
    }

    md = ngx_http_oauth2_client_alg_md(alg);
    if (md == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "unknown signing_alg %d", alg);
        return -1;
    }

    if (ngx_http_oauth2_client_key_check_alg(pkey, alg, err, errlen) != 0) {
        return -1;
    }

    ec = ngx_http_oauth2_client_alg_ec_size(alg);

    size = EVP_PKEY_get_size(pkey);

    if (size <= 0 || (size_t) size > sizeof(buf)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "a key of %d bits gives signatures "
                                     "too long, at most 4096 bits are "
                                     "supported",
                                     EVP_PKEY_get_bits(pkey));
        return -1;
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        ngx_http_oauth2_client_ssl_error(err, errlen, "EVP_MD_CTX_new()");
        return -1;
    }

    rc = -1;
    pctx = NULL;

    if (EVP_DigestSignInit(ctx, &pctx, md, NULL, pkey) != 1) {
        ngx_http_oauth2_client_ssl_error(err, errlen, "EVP_DigestSignInit()");
        goto done;
    }

    /*
     * RS256/384/512 are RSASSA-PKCS1-v1_5 (RFC 7518, section 3.3);
     * PS256/384/512 RSASSA-PSS with MGF1 over the same digest, and a salt
     * as long as the digest (section 3.5): OpenSSL's default salt is the
     * longest that fits, which verifiers that insist on RFC 7518 refuse
     */

    if (alg >= NGX_HTTP_OAUTH2_CLIENT_ALG_PS256) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
               <= 0
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)
        {
            ngx_http_oauth2_client_ssl_error(err, errlen,
                                             "RSA-PSS parameters");
            goto done;
        }

    } else if (ec == 0
               && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
    {
        ngx_http_oauth2_client_ssl_error(err, errlen,
                                         "EVP_PKEY_CTX_set_rsa_padding()");
        goto done;
    }

    n = sizeof(buf);

    if (EVP_DigestSign(ctx, buf, &n, input, len) != 1) {
        ngx_http_oauth2_client_ssl_error(err, errlen, "EVP_DigestSign()");
        goto done;
    }

    if (ec == 0) {
        memcpy(sig, buf, n);
        *siglen = n;

    } else {
        if (ngx_http_oauth2_client_ecdsa_to_jose(buf, n, ec, sig) != 0) {
            ngx_http_oauth2_client_ssl_error(err, errlen,
                                             "ECDSA signature conversion");
            goto done;
        }

        *siglen = 2 * ec;
    }

    rc = 0;

done:

    EVP_MD_CTX_free(ctx);

    return rc;
}


static int
ngx_http_oauth2_client_assertion_check(
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen)
{
    if (a == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "no assertion parameters");
        return -1;
    }

    if (a->pkey == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no private key");
        return -1;
    }

    if (ngx_http_oauth2_client_alg_name(a->alg) == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "unknown signing_alg %d", a->alg);
        return -1;
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
                                     "assertion lifetime %ld is not in "
                                     "the range 1..%d seconds",
                                     a->lifetime,
                                     NGX_HTTP_OAUTH2_CLIENT_LIFETIME_MAX);
        return -1;
    }

    return 0;
}


/* json is always released, so callers need no cleanup of their own */

static char *
ngx_http_oauth2_client_json_dump(json_t *json, char *err, size_t errlen,
    const char *what)
{
    char  *s;

    s = json_dumps(json, JSON_COMPACT);

    json_decref(json);

    if (s == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "could not serialize the JWT %s",
                                     what);
    }

    return s;
}


/* the JOSE header: alg, the kid when there is one, typ */

static char *
ngx_http_oauth2_client_assertion_header(
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen)
{
    json_t        *json;
    const char    *alg;
    json_error_t   jerr;

    alg = ngx_http_oauth2_client_alg_name(a->alg);

    if (a->kid != NULL) {
        json = json_pack_ex(&jerr, 0, "{s:s, s:s, s:s}",
                            "alg", alg, "kid", a->kid, "typ", "JWT");

    } else {
        json = json_pack_ex(&jerr, 0, "{s:s, s:s}",
                            "alg", alg, "typ", "JWT");
    }

    if (json == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "could not build the JWT header: %s",
                                     jerr.text);
        return NULL;
    }

    return ngx_http_oauth2_client_json_dump(json, err, errlen, "header");
}


/* the claims of RFC 7523, section 3, with a new jti every time */

static char *
ngx_http_oauth2_client_assertion_claims(
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen)
{
    json_t         *json;
    json_error_t    jerr;
    unsigned char   jti[NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES];
    unsigned char   jti64[2 * NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES + 1];

    /* Okta accepts each assertion only once */

    if (RAND_bytes(jti, sizeof(jti)) != 1) {
        ngx_http_oauth2_client_ssl_error(err, errlen, "RAND_bytes()");
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

    return ngx_http_oauth2_client_json_dump(json, err, errlen, "claims");
}


char *
ngx_http_oauth2_client_assertion_create(
    const ngx_http_oauth2_client_assertion_t *a, size_t *len, char *err,
    size_t errlen)
{
    char           *header, *claims, *out;
    size_t          hlen, clen, size, siglen;
    unsigned char  *p;
    unsigned char   sig[NGX_HTTP_OAUTH2_CLIENT_SIG_MAX];

    if (ngx_http_oauth2_client_assertion_check(a, err, errlen) != 0) {
        return NULL;
    }

    claims = NULL;
    out = NULL;

    header = ngx_http_oauth2_client_assertion_header(a, err, errlen);
    if (header == NULL) {
        goto failed;
    }

    claims = ngx_http_oauth2_client_assertion_claims(a, err, errlen);
    if (claims == NULL) {
        goto failed;
    }

    hlen = strlen(header);
    clen = strlen(claims);

    size = ngx_http_oauth2_client_base64url_encoded_len(hlen) + 1
           + ngx_http_oauth2_client_base64url_encoded_len(clen) + 1
           + ngx_http_oauth2_client_base64url_encoded_len(sizeof(sig)) + 1;

    out = malloc(size);
    if (out == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "malloc(%zu) failed",
                                     size);
        goto failed;
    }

    p = (unsigned char *) out;

    p += ngx_http_oauth2_client_base64url_encode(p,
                                        (const unsigned char *) header, hlen);
    *p++ = '.';
    p += ngx_http_oauth2_client_base64url_encode(p,
                                        (const unsigned char *) claims, clen);

    if (ngx_http_oauth2_client_jws_sign(a->pkey, a->alg,
                                        (const unsigned char *) out,
                                        (size_t) (p - (unsigned char *) out),
                                        sig, &siglen, err, errlen)
        != 0)
    {
        goto failed;
    }

    *p++ = '.';
    p += ngx_http_oauth2_client_base64url_encode(p, sig, siglen);
    *p = '\0';

    free(header);
    free(claims);

    if (len != NULL) {
        *len = (size_t) (p - (unsigned char *) out);
    }

    return out;

failed:

    free(header);
    free(claims);
    free(out);

    return NULL;
}
