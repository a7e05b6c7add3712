
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Algorithm names, base64url, form encoding, JWS signatures and the
 * signed client assertion (RFC 7523) with the token request built around
 * it.  Nothing here takes an nginx type: see ngx_http_oauth2_client_jose.h.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "ngx_http_oauth2_client_jose.h"


/* the sig buffer of jws_sign(): an RSA signature of up to 4096 bits */
#define NGX_HTTP_OAUTH2_CLIENT_SIG_MAX         512

#define NGX_HTTP_OAUTH2_CLIENT_GRANT                                        \
    "grant_type=client_credentials"

#define NGX_HTTP_OAUTH2_CLIENT_SCOPE           "&scope="

#define NGX_HTTP_OAUTH2_CLIENT_ASSERTION                                    \
    "&client_assertion_type="                                               \
    "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"      \
    "&client_assertion="


static void ngx_http_oauth2_client_ssl_error(char *err, size_t errlen,
    const char *what);
static int ngx_http_oauth2_client_b64url_value(unsigned char c);
static int ngx_http_oauth2_client_form_keep(unsigned char c);
static const EVP_MD *ngx_http_oauth2_client_alg_md(int alg);
static size_t ngx_http_oauth2_client_alg_ec_size(int alg);
static int ngx_http_oauth2_client_ecdsa_to_jose(const unsigned char *der,
    size_t derlen, size_t n, unsigned char *sig);
static int ngx_http_oauth2_client_assertion_check(
    const ngx_http_oauth2_client_assertion_t *a, char *err, size_t errlen);
static char *ngx_http_oauth2_client_json_dump(json_t *json, char *err,
    size_t errlen, const char *what);


static const char  *ngx_http_oauth2_client_alg_names[] = {
    NULL,
    "RS256",
    "RS384",
    "RS512",
    "ES256",
    "ES384",
    "ES512",
    "PS256",
    "PS384",
    "PS512"
};


static const char  ngx_http_oauth2_client_b64url_basis[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* every function here reports its failures through this */

void
ngx_http_oauth2_client_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    (void) vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


/*
 * The reason OpenSSL gives is appended to the message; the queue is then
 * emptied so that the next user of the library does not find our errors.
 */

static void
ngx_http_oauth2_client_ssl_error(char *err, size_t errlen, const char *what)
{
    char           reason[256];
    unsigned long  e;

    e = ERR_peek_last_error();

    if (e != 0) {
        ERR_error_string_n(e, reason, sizeof(reason));
        ngx_http_oauth2_client_error(err, errlen, "%s failed (%s)", what,
                                          reason);

    } else {
        ngx_http_oauth2_client_error(err, errlen, "%s failed", what);
    }

    ERR_clear_error();
}


const char *
ngx_http_oauth2_client_alg_name(int alg)
{
    if (alg <= NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET
        || alg > NGX_HTTP_OAUTH2_CLIENT_ALG_PS512)
    {
        return NULL;
    }

    return ngx_http_oauth2_client_alg_names[alg];
}


int
ngx_http_oauth2_client_alg_by_name(const char *name, size_t len)
{
    int          alg;
    const char  *s;

    if (name == NULL) {
        return NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET;
    }

    for (alg = NGX_HTTP_OAUTH2_CLIENT_ALG_RS256;
         alg <= NGX_HTTP_OAUTH2_CLIENT_ALG_PS512;
         alg++)
    {
        s = ngx_http_oauth2_client_alg_names[alg];

        if (strlen(s) == len && memcmp(s, name, len) == 0) {
            return alg;
        }
    }

    return NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET;
}


static const EVP_MD *
ngx_http_oauth2_client_alg_md(int alg)
{
    switch (alg) {

    case NGX_HTTP_OAUTH2_CLIENT_ALG_RS256:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES256:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_PS256:
        return EVP_sha256();

    case NGX_HTTP_OAUTH2_CLIENT_ALG_RS384:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES384:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_PS384:
        return EVP_sha384();

    case NGX_HTTP_OAUTH2_CLIENT_ALG_RS512:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES512:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_PS512:
        return EVP_sha512();

    default:
        return NULL;
    }
}


/* the width of r and of s in a JOSE ECDSA signature; 0 for RSA */

static size_t
ngx_http_oauth2_client_alg_ec_size(int alg)
{
    switch (alg) {

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES256:
        return 32;

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES384:
        return 48;

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES512:
        return 66;

    default:
        return 0;
    }
}


size_t
ngx_http_oauth2_client_base64url_encoded_len(size_t len)
{
    return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}


size_t
ngx_http_oauth2_client_base64url_encode(unsigned char *dst,
    const unsigned char *src, size_t len)
{
    const char     *basis;
    unsigned char  *d;

    basis = ngx_http_oauth2_client_b64url_basis;
    d = dst;

    while (len > 2) {
        *d++ = basis[src[0] >> 2];
        *d++ = basis[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = basis[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = basis[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len == 1) {
        *d++ = basis[src[0] >> 2];
        *d++ = basis[(src[0] & 0x03) << 4];

    } else if (len == 2) {
        *d++ = basis[src[0] >> 2];
        *d++ = basis[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = basis[(src[1] & 0x0f) << 2];
    }

    return (size_t) (d - dst);
}


static int
ngx_http_oauth2_client_b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '-') {
        return 62;
    }

    if (c == '_') {
        return 63;
    }

    return -1;
}


/*
 * Strict: no padding, no whitespace, and the unused low bits of the last
 * character must be zero, so that every byte string has exactly one
 * encoding (a decoded value re-encodes to the same text).
 */

size_t
ngx_http_oauth2_client_base64url_decode(unsigned char *dst,
    const unsigned char *src, size_t len)
{
    int             v[4];
    size_t          i, j, rest;
    unsigned char  *d;

    if (len % 4 == 1) {
        return (size_t) -1;
    }

    d = dst;

    for (i = 0; i < len; i += 4) {
        rest = len - i < 4 ? len - i : 4;

        for (j = 0; j < rest; j++) {
            v[j] = ngx_http_oauth2_client_b64url_value(src[i + j]);
            if (v[j] < 0) {
                return (size_t) -1;
            }
        }

        *d++ = (unsigned char) ((v[0] << 2) | (v[1] >> 4));

        if (rest == 2) {
            if (v[1] & 0x0f) {
                return (size_t) -1;
            }

            break;
        }

        *d++ = (unsigned char) (((v[1] & 0x0f) << 4) | (v[2] >> 2));

        if (rest == 3) {
            if (v[2] & 0x03) {
                return (size_t) -1;
            }

            break;
        }

        *d++ = (unsigned char) (((v[2] & 0x03) << 6) | v[3]);
    }

    return (size_t) (d - dst);
}


/* RFC 3986 unreserved characters go as they are */

static int
ngx_http_oauth2_client_form_keep(unsigned char c)
{
    return (c >= 'A' && c <= 'Z')
           || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '.' || c == '_' || c == '~';
}


size_t
ngx_http_oauth2_client_form_encoded_len(const unsigned char *src, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        n += (ngx_http_oauth2_client_form_keep(src[i]) || src[i] == ' ')
             ? 1 : 3;
    }

    return n;
}


size_t
ngx_http_oauth2_client_form_encode(unsigned char *dst,
    const unsigned char *src, size_t len)
{
    size_t          i;
    unsigned char  *d;

    static const char  hex[] = "0123456789ABCDEF";

    d = dst;

    for (i = 0; i < len; i++) {

        if (ngx_http_oauth2_client_form_keep(src[i])) {
            *d++ = src[i];

        } else if (src[i] == ' ') {
            *d++ = '+';

        } else {
            *d++ = '%';
            *d++ = hex[src[i] >> 4];
            *d++ = hex[src[i] & 0x0f];
        }
    }

    return (size_t) (d - dst);
}


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


char *
ngx_http_oauth2_client_assertion_create(
    const ngx_http_oauth2_client_assertion_t *a, size_t *len, char *err,
    size_t errlen)
{
    char           *header, *claims, *out;
    size_t          hlen, clen, size, siglen;
    json_t         *json;
    const char     *alg;
    json_error_t    jerr;
    unsigned char  *p;
    unsigned char   jti[NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES];
    unsigned char   sig[NGX_HTTP_OAUTH2_CLIENT_SIG_MAX];
    unsigned char   jti64[2 * NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES + 1];

    if (ngx_http_oauth2_client_assertion_check(a, err, errlen) != 0) {
        return NULL;
    }

    alg = ngx_http_oauth2_client_alg_name(a->alg);

    /* a new jti every time: Okta accepts each assertion only once */

    if (RAND_bytes(jti, sizeof(jti)) != 1) {
        ngx_http_oauth2_client_ssl_error(err, errlen, "RAND_bytes()");
        return NULL;
    }

    jti64[ngx_http_oauth2_client_base64url_encode(jti64, jti, sizeof(jti))]
        = '\0';

    header = NULL;
    claims = NULL;
    out = NULL;

    if (a->kid != NULL) {
        json = json_pack_ex(&jerr, 0, "{s:s, s:s, s:s}",
                            "alg", alg, "kid", a->kid, "typ", "JWT");

    } else {
        json = json_pack_ex(&jerr, 0, "{s:s, s:s}",
                            "alg", alg, "typ", "JWT");
    }

    if (json == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                          "could not build the JWT header: "
                                          "%s", jerr.text);
        goto failed;
    }

    header = ngx_http_oauth2_client_json_dump(json, err, errlen, "header");
    if (header == NULL) {
        goto failed;
    }

    json = json_pack_ex(&jerr, 0, "{s:s, s:s, s:s, s:I, s:I, s:s}",
                        "iss", a->client_id,
                        "sub", a->client_id,
                        "aud", a->audience,
                        "iat", (json_int_t) a->now,
                        "exp", (json_int_t) a->now + a->lifetime,
                        "jti", (const char *) jti64);

    if (json == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                          "could not build the JWT claims "
                                          "(is client_id or the token "
                                          "endpoint valid UTF-8?): %s",
                                          jerr.text);
        goto failed;
    }

    claims = ngx_http_oauth2_client_json_dump(json, err, errlen, "claims");
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
        ngx_http_oauth2_client_error(err, errlen,
                                          "malloc(%zu) failed", size);
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


char *
ngx_http_oauth2_client_token_request_body(
    const ngx_http_oauth2_client_assertion_t *a, size_t *len, char *err,
    size_t errlen)
{
    char           *assertion, *body;
    size_t          alen, slen, size;
    unsigned char  *p;

    assertion = ngx_http_oauth2_client_assertion_create(a, &alen, err,
                                                         errlen);
    if (assertion == NULL) {
        return NULL;
    }

    slen = 0;

    if (a->scope != NULL && a->scope[0] != '\0') {
        slen = sizeof(NGX_HTTP_OAUTH2_CLIENT_SCOPE) - 1
               + ngx_http_oauth2_client_form_encoded_len(
                               (const unsigned char *) a->scope,
                               strlen(a->scope));
    }

    size = sizeof(NGX_HTTP_OAUTH2_CLIENT_GRANT) - 1
           + slen
           + sizeof(NGX_HTTP_OAUTH2_CLIENT_ASSERTION) - 1
           + ngx_http_oauth2_client_form_encoded_len(
                               (const unsigned char *) assertion, alen)
           + 1;

    body = malloc(size);
    if (body == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                          "malloc(%zu) failed", size);
        goto done;
    }

    p = (unsigned char *) body;

    memcpy(p, NGX_HTTP_OAUTH2_CLIENT_GRANT,
           sizeof(NGX_HTTP_OAUTH2_CLIENT_GRANT) - 1);
    p += sizeof(NGX_HTTP_OAUTH2_CLIENT_GRANT) - 1;

    if (slen != 0) {
        memcpy(p, NGX_HTTP_OAUTH2_CLIENT_SCOPE,
               sizeof(NGX_HTTP_OAUTH2_CLIENT_SCOPE) - 1);
        p += sizeof(NGX_HTTP_OAUTH2_CLIENT_SCOPE) - 1;

        p += ngx_http_oauth2_client_form_encode(p,
                                        (const unsigned char *) a->scope,
                                        strlen(a->scope));
    }

    memcpy(p, NGX_HTTP_OAUTH2_CLIENT_ASSERTION,
           sizeof(NGX_HTTP_OAUTH2_CLIENT_ASSERTION) - 1);
    p += sizeof(NGX_HTTP_OAUTH2_CLIENT_ASSERTION) - 1;

    p += ngx_http_oauth2_client_form_encode(p,
                                        (const unsigned char *) assertion,
                                        alen);
    *p = '\0';

    if (len != NULL) {
        *len = (size_t) (p - (unsigned char *) body);
    }

done:

    OPENSSL_cleanse(assertion, alen);
    free(assertion);

    return body;
}
