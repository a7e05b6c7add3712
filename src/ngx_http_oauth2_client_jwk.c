
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * JSON Web Keys: private RSA and EC JWKs into EVP_PKEYs, public JWKs
 * and RFC 7638 thumbprints.  See ngx_http_oauth2_client_jwk.h.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <malloc.h>
#define NGX_HTTP_OAUTH2_CLIENT_USABLE_SIZE  1
#endif

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_encode.h"
#include "ngx_http_oauth2_client_file.h"
#include "ngx_http_oauth2_client_jwk.h"


#define NGX_HTTP_OAUTH2_CLIENT_JWK_RSA_MIN     2048
#define NGX_HTTP_OAUTH2_CLIENT_JWK_RSA_MAX     4096

/* the longest EC coordinate: P-521 */
#define NGX_HTTP_OAUTH2_CLIENT_JWK_EC_MAX      66


typedef struct {
    const char                   *crv;        /* JWK name */
    const char                   *group;      /* OpenSSL name */
    size_t                        size;       /* coordinate bytes */
    int                           alg;
} ngx_http_oauth2_client_jwk_curve_t;


static void ngx_http_oauth2_client_jwk_json_free(void *p);
static const char *ngx_http_oauth2_client_jwk_printable(const char *s,
    size_t len, char *buf, size_t size);
static json_t *ngx_http_oauth2_client_jwk_load(const unsigned char *data,
    size_t len, char *err, size_t errlen);
static json_t *ngx_http_oauth2_client_jwk_select(json_t *root, char *err,
    size_t errlen);
static int ngx_http_oauth2_client_jwk_string(json_t *obj, const char *name,
    const char **value, size_t *len, char *err, size_t errlen);
static unsigned char *ngx_http_oauth2_client_jwk_bytes(json_t *obj,
    const char *name, size_t *len, char *err, size_t errlen);
static BIGNUM *ngx_http_oauth2_client_jwk_bn(json_t *obj, const char *name,
    int secret, char *err, size_t errlen);
static EVP_PKEY *ngx_http_oauth2_client_jwk_fromdata(const char *type,
    OSSL_PARAM_BLD *bld, char *err, size_t errlen);
static EVP_PKEY *ngx_http_oauth2_client_jwk_rsa(json_t *obj, char *err,
    size_t errlen);
static const ngx_http_oauth2_client_jwk_curve_t *
    ngx_http_oauth2_client_jwk_curve(const char *crv, size_t len);
static EVP_PKEY *ngx_http_oauth2_client_jwk_ec(json_t *obj,
    const ngx_http_oauth2_client_jwk_curve_t *curve, char *err,
    size_t errlen);
static int ngx_http_oauth2_client_jwk_check(EVP_PKEY *pkey, char *err,
    size_t errlen);
static int ngx_http_oauth2_client_jwk_usage(json_t *obj, char *err,
    size_t errlen);
static int ngx_http_oauth2_client_jwk_alg(json_t *obj,
    const ngx_http_oauth2_client_jwk_curve_t *curve, int *alg, char *err,
    size_t errlen);
static int ngx_http_oauth2_client_jwk_kid(json_t *obj, char **kid,
    char *err, size_t errlen);
static void ngx_http_oauth2_client_jwk_cleanse(json_t *obj);
static int ngx_http_oauth2_client_jwk_key(json_t *obj,
    ngx_http_oauth2_client_jwk_t *jwk, char *err, size_t errlen);
static size_t ngx_http_oauth2_client_jwk_put(char *p, const char *name,
    const unsigned char *value, size_t len, int last);
static const ngx_http_oauth2_client_jwk_curve_t *
    ngx_http_oauth2_client_jwk_key_curve(EVP_PKEY *pkey);
static int ngx_http_oauth2_client_jwk_get_bn(EVP_PKEY *pkey,
    const char *param, unsigned char *buf, size_t size, size_t pad,
    size_t *len);


static const ngx_http_oauth2_client_jwk_curve_t
    ngx_http_oauth2_client_jwk_curves[] =
{
    { "P-256", "prime256v1", 32, NGX_HTTP_OAUTH2_CLIENT_ALG_ES256 },
    { "P-384", "secp384r1", 48, NGX_HTTP_OAUTH2_CLIENT_ALG_ES384 },
    { "P-521", "secp521r1", 66, NGX_HTTP_OAUTH2_CLIENT_ALG_ES512 },
    { NULL, NULL, 0, 0 }
};


/* the private members of an RSA JWK, in OpenSSL's parameter order */

static const char  *ngx_http_oauth2_client_jwk_rsa_members[] = {
    "n", "e", "d", "p", "q", "dp", "dq", "qi"
};

static const char  *ngx_http_oauth2_client_jwk_rsa_params[] = {
    OSSL_PKEY_PARAM_RSA_N,
    OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2,
    OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2,
    OSSL_PKEY_PARAM_RSA_COEFFICIENT1
};


/*
 * jansson keeps copies of the strings it scans in buffers it frees
 * without clearing them; for the time of a parse its free function is
 * one that cleanses the whole block first.  It takes any block malloc()
 * gave, so a block allocated before the switch may be freed by it, and
 * one allocated during the parse by free() after it.
 */

static void
ngx_http_oauth2_client_jwk_json_free(void *p)
{
#if (NGX_HTTP_OAUTH2_CLIENT_USABLE_SIZE)
    if (p != NULL) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
    }
#endif

    free(p);
}


/*
 * Values of the file quoted in messages: at most size - 4 characters,
 * control and 8-bit bytes as '?', so a log line stays one line.
 */

static const char *
ngx_http_oauth2_client_jwk_printable(const char *s, size_t len, char *buf,
    size_t size)
{
    size_t  i, n;

    n = len < size - 4 ? len : size - 4;

    for (i = 0; i < n; i++) {
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    }

    if (n < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }

    buf[n] = '\0';

    return buf;
}


static json_t *
ngx_http_oauth2_client_jwk_load(const unsigned char *data, size_t len,
    char *err, size_t errlen)
{
    json_t        *root;
    json_error_t   jerr;

    /* duplicate members ("d" twice) make a key ambiguous: refuse them */

    root = json_loadb((const char *) data, len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (root == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "invalid JSON at line %d, column %d: "
                                     "%s", jerr.line, jerr.column,
                                     jerr.text);
        return NULL;
    }

    if (!json_is_object(root)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "a JWK must be a JSON object");
        json_decref(root);
        return NULL;
    }

    return root;
}


/* the key of a JWK, or the only key of a JWKS */

static json_t *
ngx_http_oauth2_client_jwk_select(json_t *root, char *err, size_t errlen)
{
    json_t  *keys, *key;

    keys = json_object_get(root, "keys");
    if (keys == NULL) {
        return root;
    }

    if (!json_is_array(keys)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the \"keys\" member of a JWKS must be "
                                     "an array");
        return NULL;
    }

    if (json_array_size(keys) != 1) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "a JWKS with %zu keys: exactly one "
                                     "private key is needed",
                                     json_array_size(keys));
        return NULL;
    }

    key = json_array_get(keys, 0);

    if (!json_is_object(key)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the key of the JWKS is not a JSON "
                                     "object");
        return NULL;
    }

    return key;
}


/* 1: found, 0: absent, -1: not a string */

static int
ngx_http_oauth2_client_jwk_string(json_t *obj, const char *name,
    const char **value, size_t *len, char *err, size_t errlen)
{
    json_t  *v;

    v = json_object_get(obj, name);
    if (v == NULL) {
        return 0;
    }

    if (!json_is_string(v)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK member \"%s\" is not a string",
                                     name);
        return -1;
    }

    *value = json_string_value(v);
    *len = json_string_length(v);

    return 1;
}


/* a base64url member, decoded into a malloc()ed buffer */

static unsigned char *
ngx_http_oauth2_client_jwk_bytes(json_t *obj, const char *name, size_t *len,
    char *err, size_t errlen)
{
    int             rc;
    size_t          n;
    const char     *s;
    unsigned char  *buf;

    rc = ngx_http_oauth2_client_jwk_string(obj, name, &s, &n, err, errlen);

    if (rc == 0) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK member \"%s\" is missing",
                                     name);
        return NULL;
    }

    if (rc == -1) {
        return NULL;
    }

    if (n == 0) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK member \"%s\" is empty", name);
        return NULL;
    }

    buf = malloc(n / 4 * 3 + 3);
    if (buf == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "malloc(%zu) failed",
                                     n / 4 * 3 + 3);
        return NULL;
    }

    *len = ngx_http_oauth2_client_base64url_decode(buf,
                                            (const unsigned char *) s, n);

    if (*len == (size_t) -1) {
        OPENSSL_cleanse(buf, n / 4 * 3 + 3);
        free(buf);
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK member \"%s\" is not valid "
                                     "base64url (RFC 7515: no padding, no "
                                     "\"+\" or \"/\")", name);
        return NULL;
    }

    return buf;
}


/*
 * Secret values go into BIGNUMs flagged secure: the OSSL_PARAM builder
 * puts those into the block that OSSL_PARAM_free() cleanses.
 */

static BIGNUM *
ngx_http_oauth2_client_jwk_bn(json_t *obj, const char *name, int secret,
    char *err, size_t errlen)
{
    size_t          len;
    BIGNUM         *bn;
    unsigned char  *buf;

    buf = ngx_http_oauth2_client_jwk_bytes(obj, name, &len, err, errlen);
    if (buf == NULL) {
        return NULL;
    }

    bn = secret ? BN_secure_new() : BN_new();

    if (bn != NULL && BN_bin2bn(buf, (int) len, bn) == NULL) {
        BN_clear_free(bn);
        bn = NULL;
    }

    OPENSSL_cleanse(buf, len);
    free(buf);

    if (bn == NULL) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK member \"%s\" could not be "
                                     "converted", name);
    }

    return bn;
}


static EVP_PKEY *
ngx_http_oauth2_client_jwk_fromdata(const char *type, OSSL_PARAM_BLD *bld,
    char *err, size_t errlen)
{
    EVP_PKEY      *pkey;
    OSSL_PARAM    *params;
    EVP_PKEY_CTX  *ctx;

    pkey = NULL;

    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    if (params == NULL || ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
    {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen,
                                     "OpenSSL refused the %s key of the JWK",
                                     type);
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);

    return pkey;
}


static EVP_PKEY *
ngx_http_oauth2_client_jwk_rsa(json_t *obj, char *err, size_t errlen)
{
    int              bits;
    size_t           i;
    BIGNUM          *bn[8];
    EVP_PKEY        *pkey;
    const char     **members;
    OSSL_PARAM_BLD  *bld;

    memset(bn, 0, sizeof(bn));

    pkey = NULL;
    bld = NULL;

    if (json_object_get(obj, "oth") != NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "multi-prime RSA keys (\"oth\") are "
                                     "not supported");
        return NULL;
    }

    /*
     * RFC 7518 6.3.2 allows d without the CRT values; OpenSSL's checks
     * of the key need them, and every exporter writes them
     */

    members = ngx_http_oauth2_client_jwk_rsa_members;

    for (i = 0; i < 8; i++) {
        if (json_object_get(obj, members[i]) == NULL) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "the RSA JWK has no \"%s\" (an RSA "
                                         "private JWK needs n, e, d, p, q, "
                                         "dp, dq and qi)", members[i]);
            return NULL;
        }
    }

    for (i = 0; i < 8; i++) {
        bn[i] = ngx_http_oauth2_client_jwk_bn(obj, members[i], i >= 2, err,
                                              errlen);
        if (bn[i] == NULL) {
            goto done;
        }
    }

    bits = BN_num_bits(bn[0]);

    if (bits < NGX_HTTP_OAUTH2_CLIENT_JWK_RSA_MIN) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "RSA key of %d bits is too short, at "
                                     "least %d are required", bits,
                                     NGX_HTTP_OAUTH2_CLIENT_JWK_RSA_MIN);
        goto done;
    }

    if (bits > NGX_HTTP_OAUTH2_CLIENT_JWK_RSA_MAX) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "RSA key of %d bits is too long, at "
                                     "most %d are supported", bits,
                                     NGX_HTTP_OAUTH2_CLIENT_JWK_RSA_MAX);
        goto done;
    }

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen,
                                     "OSSL_PARAM_BLD_new() failed");
        goto done;
    }

    for (i = 0; i < 8; i++) {
        if (OSSL_PARAM_BLD_push_BN(bld,
                                   ngx_http_oauth2_client_jwk_rsa_params[i],
                                   bn[i])
            != 1)
        {
            ERR_clear_error();
            ngx_http_oauth2_client_error(err, errlen,
                                         "OSSL_PARAM_BLD_push_BN() failed");
            goto done;
        }
    }

    pkey = ngx_http_oauth2_client_jwk_fromdata("RSA", bld, err, errlen);

done:

    OSSL_PARAM_BLD_free(bld);

    for (i = 0; i < 8; i++) {
        BN_clear_free(bn[i]);
    }

    return pkey;
}


static const ngx_http_oauth2_client_jwk_curve_t *
ngx_http_oauth2_client_jwk_curve(const char *crv, size_t len)
{
    const ngx_http_oauth2_client_jwk_curve_t  *c;

    for (c = ngx_http_oauth2_client_jwk_curves; c->crv != NULL; c++) {
        if (strlen(c->crv) == len && memcmp(c->crv, crv, len) == 0) {
            return c;
        }
    }

    return NULL;
}


static EVP_PKEY *
ngx_http_oauth2_client_jwk_ec(json_t *obj,
    const ngx_http_oauth2_client_jwk_curve_t *curve, char *err,
    size_t errlen)
{
    size_t           i, len;
    BIGNUM          *d;
    EVP_PKEY        *pkey;
    OSSL_PARAM_BLD  *bld;
    unsigned char   *buf;
    unsigned char    pub[1 + 2 * NGX_HTTP_OAUTH2_CLIENT_JWK_EC_MAX];

    static const char  *xy[] = { "x", "y", "d" };

    pkey = NULL;
    bld = NULL;
    d = NULL;

    /* RFC 7518 6.2.1.2, 6.2.2.1: each one the full size of the curve */

    pub[0] = 0x04;

    for (i = 0; i < 3; i++) {
        buf = ngx_http_oauth2_client_jwk_bytes(obj, xy[i], &len, err, errlen);
        if (buf == NULL) {
            goto done;
        }

        if (len != curve->size) {
            OPENSSL_cleanse(buf, len);
            free(buf);
            ngx_http_oauth2_client_error(err, errlen,
                                         "the JWK member \"%s\" has %zu "
                                         "bytes, %s needs %zu", xy[i], len,
                                         curve->crv, curve->size);
            goto done;
        }

        if (i < 2) {
            memcpy(pub + 1 + i * curve->size, buf, len);

        } else {
            d = BN_secure_new();

            if (d != NULL && BN_bin2bn(buf, (int) len, d) == NULL) {
                BN_clear_free(d);
                d = NULL;
            }
        }

        OPENSSL_cleanse(buf, len);
        free(buf);
    }

    bld = OSSL_PARAM_BLD_new();

    if (d == NULL || bld == NULL
        || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                           curve->group, 0) != 1
        || OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            pub, 1 + 2 * curve->size) != 1
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)
    {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen,
                                     "could not build the EC key "
                                     "parameters");
        goto done;
    }

    /* a point that is not on the curve is refused here */

    pkey = ngx_http_oauth2_client_jwk_fromdata("EC", bld, err, errlen);

done:

    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);

    return pkey;
}


/*
 * A JWK is a set of numbers anyone may have edited by hand: OpenSSL
 * checks that they make one key (n = pq, d inverts e, the CRT values,
 * the point is d times the generator...), as a PEM file's parts are not
 * checked either by OpenSSL when they are read.
 */

static int
ngx_http_oauth2_client_jwk_check(EVP_PKEY *pkey, char *err, size_t errlen)
{
    int            rc;
    EVP_PKEY_CTX  *ctx;

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen,
                                     "EVP_PKEY_CTX_new_from_pkey() failed");
        return -1;
    }

    rc = EVP_PKEY_check(ctx);

    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();

    if (rc != 1) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the parts of the JWK's key do not "
                                     "make a valid %s key",
                                     EVP_PKEY_get_base_id(pkey)
                                     == EVP_PKEY_RSA ? "RSA" : "EC");
        return -1;
    }

    return 0;
}


/* "use" and "key_ops" (RFC 7517 4.2, 4.3): a signing key, if they say */

static int
ngx_http_oauth2_client_jwk_usage(json_t *obj, char *err, size_t errlen)
{
    int          rc;
    char         buf[40];
    size_t       i, len;
    json_t      *ops, *op;
    const char  *s;

    rc = ngx_http_oauth2_client_jwk_string(obj, "use", &s, &len, err, errlen);

    if (rc == -1) {
        return -1;
    }

    if (rc == 1 && !(len == 3 && memcmp(s, "sig", 3) == 0)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK is not a signing key (its "
                                     "\"use\" is \"%s\", not \"sig\")",
                                     ngx_http_oauth2_client_jwk_printable(s,
                                                    len, buf, sizeof(buf)));
        return -1;
    }

    ops = json_object_get(obj, "key_ops");
    if (ops == NULL) {
        return 0;
    }

    if (!json_is_array(ops)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK member \"key_ops\" is not an "
                                     "array");
        return -1;
    }

    json_array_foreach(ops, i, op) {
        if (json_is_string(op) && strcmp(json_string_value(op), "sign") == 0) {
            return 0;
        }
    }

    ngx_http_oauth2_client_error(err, errlen,
                                 "the JWK is not a signing key (its "
                                 "\"key_ops\" have no \"sign\")");
    return -1;
}


/* curve is NULL for RSA */

static int
ngx_http_oauth2_client_jwk_alg(json_t *obj,
    const ngx_http_oauth2_client_jwk_curve_t *curve, int *alg, char *err,
    size_t errlen)
{
    int          rc, a;
    char         buf[40];
    size_t       len;
    const char  *s;

    *alg = NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET;

    rc = ngx_http_oauth2_client_jwk_string(obj, "alg", &s, &len, err, errlen);
    if (rc != 1) {
        return rc;
    }

    a = ngx_http_oauth2_client_alg_by_name(s, len);

    s = ngx_http_oauth2_client_jwk_printable(s, len, buf, sizeof(buf));

    if (a == NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK's \"alg\" \"%s\" is not a "
                                     "supported signing algorithm (RS256, "
                                     "RS384, RS512, PS256, PS384, PS512, "
                                     "ES256, ES384, ES512)", s);
        return -1;
    }

    if (curve == NULL) {
        rc = a >= NGX_HTTP_OAUTH2_CLIENT_ALG_ES256
             && a <= NGX_HTTP_OAUTH2_CLIENT_ALG_ES512;

    } else {
        rc = a != curve->alg;
    }

    if (rc) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK's \"alg\" \"%s\" does not fit "
                                     "its %s%s key", s,
                                     curve != NULL ? "EC " : "RSA",
                                     curve != NULL ? curve->crv : "");
        return -1;
    }

    *alg = a;

    return 0;
}


/* the kid goes into JWS headers and log lines: no control characters */

static int
ngx_http_oauth2_client_jwk_kid(json_t *obj, char **kid, char *err,
    size_t errlen)
{
    int          rc;
    size_t       i, len;
    const char  *s;

    *kid = NULL;

    rc = ngx_http_oauth2_client_jwk_string(obj, "kid", &s, &len, err, errlen);
    if (rc != 1) {
        return rc;
    }

    if (len == 0 || len > NGX_HTTP_OAUTH2_CLIENT_KID_MAX) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK's \"kid\" has %zu characters, "
                                     "1 to %d are accepted", len,
                                     NGX_HTTP_OAUTH2_CLIENT_KID_MAX);
        return -1;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "the JWK's \"kid\" contains a "
                                         "control character");
            return -1;
        }
    }

    *kid = malloc(len + 1);
    if (*kid == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "malloc(%zu) failed",
                                     len + 1);
        return -1;
    }

    memcpy(*kid, s, len + 1);

    return 0;
}


/*
 * Where jansson's free could not be made a cleansing one, at least the
 * strings of the key object are wiped before they are freed.
 */

static void
ngx_http_oauth2_client_jwk_cleanse(json_t *obj)
{
    json_t      *v;
    const char  *name;

    json_object_foreach(obj, name, v) {
        if (json_is_string(v)) {
            OPENSSL_cleanse((char *) json_string_value(v),
                            json_string_length(v));
        }
    }
}


static int
ngx_http_oauth2_client_jwk_key(json_t *obj, ngx_http_oauth2_client_jwk_t *jwk,
    char *err, size_t errlen)
{
    int                                        rc;
    char                                       buf[40];
    size_t                                     len;
    const char                                *kty, *crv;
    const ngx_http_oauth2_client_jwk_curve_t  *curve;

    rc = ngx_http_oauth2_client_jwk_string(obj, "kty", &kty, &len, err,
                                           errlen);
    if (rc == 0) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "not a JWK: no \"kty\" member");
    }

    if (rc != 1) {
        return -1;
    }

    curve = NULL;

    if (len == 2 && memcmp(kty, "EC", 2) == 0) {
        rc = ngx_http_oauth2_client_jwk_string(obj, "crv", &crv, &len, err,
                                               errlen);
        if (rc == 0) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "the EC JWK has no \"crv\"");
        }

        if (rc != 1) {
            return -1;
        }

        curve = ngx_http_oauth2_client_jwk_curve(crv, len);
        if (curve == NULL) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "EC key on curve %s is not "
                                         "supported, only P-256, P-384 and "
                                         "P-521 are",
                                         ngx_http_oauth2_client_jwk_printable(
                                             crv, len, buf, sizeof(buf)));
            return -1;
        }

    } else if (len == 3 && memcmp(kty, "oct", 3) == 0) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK is a shared secret (\"kty\" "
                                     "\"oct\"), not a private key");
        return -1;

    } else if (!(len == 3 && memcmp(kty, "RSA", 3) == 0)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "unsupported key type \"%s\", only RSA "
                                     "and EC keys are supported",
                                     ngx_http_oauth2_client_jwk_printable(
                                         kty, len, buf, sizeof(buf)));
        return -1;
    }

    if (json_object_get(obj, "d") == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the JWK is a public key (it has no "
                                     "\"d\"): the private key is needed");
        return -1;
    }

    if (ngx_http_oauth2_client_jwk_usage(obj, err, errlen) != 0
        || ngx_http_oauth2_client_jwk_alg(obj, curve, &jwk->alg, err, errlen)
           == -1
        || ngx_http_oauth2_client_jwk_kid(obj, &jwk->kid, err, errlen) == -1)
    {
        return -1;
    }

    if (curve == NULL) {
        jwk->pkey = ngx_http_oauth2_client_jwk_rsa(obj, err, errlen);

    } else {
        jwk->pkey = ngx_http_oauth2_client_jwk_ec(obj, curve, err, errlen);
    }

    if (jwk->pkey == NULL) {
        return -1;
    }

    return ngx_http_oauth2_client_jwk_check(jwk->pkey, err, errlen);
}


int
ngx_http_oauth2_client_jwk_parse(const unsigned char *data, size_t len,
    ngx_http_oauth2_client_jwk_t *jwk, char *err, size_t errlen)
{
    int              rc, swapped;
    json_t          *root, *key;
    json_free_t      free_fn;
    json_malloc_t    malloc_fn;

    if (jwk == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "jwk_parse() called without a result");
        return -1;
    }

    memset(jwk, 0, sizeof(ngx_http_oauth2_client_jwk_t));

    if (data == NULL || len == 0) {
        ngx_http_oauth2_client_error(err, errlen, "no JWK data");
        return -1;
    }

    if (len > NGX_HTTP_OAUTH2_CLIENT_FILE_MAX) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "JWK data of %zu bytes is too big", len);
        return -1;
    }

    json_get_alloc_funcs(&malloc_fn, &free_fn);

    swapped = (malloc_fn == malloc && free_fn == free);

    if (swapped) {
        json_set_alloc_funcs(malloc, ngx_http_oauth2_client_jwk_json_free);
    }

    rc = -1;

    root = ngx_http_oauth2_client_jwk_load(data, len, err, errlen);

    if (root != NULL) {
        key = ngx_http_oauth2_client_jwk_select(root, err, errlen);

        if (key != NULL) {
            rc = ngx_http_oauth2_client_jwk_key(key, jwk, err, errlen);
            ngx_http_oauth2_client_jwk_cleanse(key);
        }

        json_decref(root);
    }

    if (swapped) {
        json_set_alloc_funcs(malloc_fn, free_fn);
    }

    if (rc != 0) {
        ngx_http_oauth2_client_jwk_free(jwk);
    }

    return rc;
}


void
ngx_http_oauth2_client_jwk_free(ngx_http_oauth2_client_jwk_t *jwk)
{
    if (jwk == NULL) {
        return;
    }

    EVP_PKEY_free(jwk->pkey);
    free(jwk->kid);

    memset(jwk, 0, sizeof(ngx_http_oauth2_client_jwk_t));
}


/* "name":"base64url", or ","name":"..."; p NULL: only the length */

static size_t
ngx_http_oauth2_client_jwk_put(char *p, const char *name,
    const unsigned char *value, size_t len, int last)
{
    size_t  n, vlen;

    n = strlen(name);
    vlen = ngx_http_oauth2_client_base64url_encoded_len(len);

    if (p != NULL) {
        *p++ = '"';
        memcpy(p, name, n);
        p += n;
        *p++ = '"';
        *p++ = ':';
        *p++ = '"';
        p += ngx_http_oauth2_client_base64url_encode((unsigned char *) p,
                                                     value, len);
        *p++ = '"';
        *p = last ? '}' : ',';
    }

    return n + vlen + 6;
}


/* a public number of the key, big-endian, left-padded to pad bytes */

static int
ngx_http_oauth2_client_jwk_get_bn(EVP_PKEY *pkey, const char *param,
    unsigned char *buf, size_t size, size_t pad, size_t *len)
{
    int      n;
    BIGNUM  *bn;

    bn = NULL;

    if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) {
        ERR_clear_error();
        return -1;
    }

    if (pad != 0) {
        n = pad <= size ? BN_bn2binpad(bn, buf, (int) pad) : -1;

    } else {
        n = (size_t) BN_num_bytes(bn) <= size ? BN_bn2bin(bn, buf) : -1;
    }

    BN_free(bn);

    if (n <= 0) {
        ERR_clear_error();
        return -1;
    }

    *len = (size_t) n;

    return 0;
}


/* the JWK curve of an EC key, NULL for any other */

static const ngx_http_oauth2_client_jwk_curve_t *
ngx_http_oauth2_client_jwk_key_curve(EVP_PKEY *pkey)
{
    char                                       group[32];
    size_t                                     len;
    const ngx_http_oauth2_client_jwk_curve_t  *c;

    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                       group, sizeof(group), &len)
        != 1)
    {
        ERR_clear_error();
        return NULL;
    }

    for (c = ngx_http_oauth2_client_jwk_curves; c->crv != NULL; c++) {
        if (strcmp(group, c->group) == 0 || strcmp(group, c->crv) == 0) {
            return c;
        }
    }

    return NULL;
}


char *
ngx_http_oauth2_client_jwk_public(EVP_PKEY *pkey, size_t *len, char *err,
    size_t errlen)
{
    char                                      *out, *p;
    size_t                                     size, alen, blen;
    const char                                *crv;
    unsigned char                              a[512], b[512];
    const ngx_http_oauth2_client_jwk_curve_t  *c;

    static const char  rsa_kty[] = "\"kty\":\"RSA\",";
    static const char  ec_kty[] = "\"kty\":\"EC\",";

    if (pkey == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no key");
        return NULL;
    }

    crv = NULL;

    switch (EVP_PKEY_get_base_id(pkey)) {

    case EVP_PKEY_RSA:
        if (ngx_http_oauth2_client_jwk_get_bn(pkey, OSSL_PKEY_PARAM_RSA_E, a,
                                              sizeof(a), 0, &alen) != 0
            || ngx_http_oauth2_client_jwk_get_bn(pkey, OSSL_PKEY_PARAM_RSA_N,
                                                 b, sizeof(b), 0, &blen)
               != 0)
        {
            ngx_http_oauth2_client_error(err, errlen,
                                         "could not read the RSA key's n "
                                         "and e (at most 4096 bits)");
            return NULL;
        }

        /* {"e":"...","kty":"RSA","n":"..."} */

        size = 1 + ngx_http_oauth2_client_jwk_put(NULL, "e", a, alen, 0)
               + sizeof(rsa_kty) - 1
               + ngx_http_oauth2_client_jwk_put(NULL, "n", b, blen, 1) + 1;
        break;

    case EVP_PKEY_EC:
        c = ngx_http_oauth2_client_jwk_key_curve(pkey);

        if (c == NULL) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "the EC key is not on P-256, P-384 "
                                         "or P-521");
            return NULL;
        }

        crv = c->crv;

        if (ngx_http_oauth2_client_jwk_get_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_X,
                                              a, sizeof(a), c->size, &alen)
            != 0
            || ngx_http_oauth2_client_jwk_get_bn(pkey,
                                                 OSSL_PKEY_PARAM_EC_PUB_Y, b,
                                                 sizeof(b), c->size, &blen)
               != 0)
        {
            ngx_http_oauth2_client_error(err, errlen,
                                         "could not read the EC key's "
                                         "public point");
            return NULL;
        }

        /* {"crv":"P-256","kty":"EC","x":"...","y":"..."} */

        size = 1 + sizeof("\"crv\":\"\",") - 1 + strlen(crv)
               + sizeof(ec_kty) - 1
               + ngx_http_oauth2_client_jwk_put(NULL, "x", a, alen, 0)
               + ngx_http_oauth2_client_jwk_put(NULL, "y", b, blen, 1) + 1;
        break;

    default:
        ngx_http_oauth2_client_error(err, errlen,
                                     "only RSA and EC keys have a JWK here");
        return NULL;
    }

    out = malloc(size);
    if (out == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "malloc(%zu) failed", size);
        return NULL;
    }

    p = out;
    *p++ = '{';

    if (crv == NULL) {
        p += ngx_http_oauth2_client_jwk_put(p, "e", a, alen, 0);
        memcpy(p, rsa_kty, sizeof(rsa_kty) - 1);
        p += sizeof(rsa_kty) - 1;
        p += ngx_http_oauth2_client_jwk_put(p, "n", b, blen, 1);

    } else {
        p += sprintf(p, "\"crv\":\"%s\",", crv);
        memcpy(p, ec_kty, sizeof(ec_kty) - 1);
        p += sizeof(ec_kty) - 1;
        p += ngx_http_oauth2_client_jwk_put(p, "x", a, alen, 0);
        p += ngx_http_oauth2_client_jwk_put(p, "y", b, blen, 1);
    }

    *p = '\0';

    if (len != NULL) {
        *len = (size_t) (p - out);
    }

    return out;
}


/* the public JWK above is already the RFC 7638 canonical form */

int
ngx_http_oauth2_client_jwk_thumbprint(EVP_PKEY *pkey,
    char out[NGX_HTTP_OAUTH2_CLIENT_JKT_LEN + 1], char *err, size_t errlen)
{
    char           *jwk;
    size_t          len;
    unsigned char   md[32];

    jwk = ngx_http_oauth2_client_jwk_public(pkey, &len, err, errlen);
    if (jwk == NULL) {
        return -1;
    }

    if (EVP_Digest(jwk, len, md, NULL, EVP_sha256(), NULL) != 1) {
        free(jwk);
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen, "SHA-256 failed");
        return -1;
    }

    free(jwk);

    out[ngx_http_oauth2_client_base64url_encode((unsigned char *) out, md,
                                                sizeof(md))] = '\0';

    return 0;
}
