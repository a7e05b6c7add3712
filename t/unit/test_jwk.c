
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * jwk_parse(), jwk_public(), jwk_thumbprint() on the JWKs that CryptX
 * wrote from openssl's keys (t/keys/jwk.pl): the key read must be the
 * PEM key, the public JWK must be CryptX's byte for byte, the
 * thumbprint CryptX's and, for the RFC 7638 example key, the RFC's.
 * Refusals are tested on edited copies of those files.
 */


#include <stdlib.h>
#include <string.h>

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
#include "ngx_http_oauth2_client_jwk.h"
#include "test_util.h"


#define ALG(name)  NGX_HTTP_OAUTH2_CLIENT_ALG_ ## name


typedef struct {
    const char                   *name;
    int                           alg;
} ngx_http_oauth2_client_test_jwk_key_t;


static void ngx_http_oauth2_client_test_jwk_file(const char *name,
    const char *pem, const char *kid, int alg);
static void ngx_http_oauth2_client_test_jwk_public(const char *name);
static char *ngx_http_oauth2_client_test_jwk_edit(const char *file,
    const char *member, json_t *value);
static void ngx_http_oauth2_client_test_jwk_bad(const char *file,
    const char *member, json_t *value, const char *want);
static void ngx_http_oauth2_client_test_jwk_text(const char *text,
    const char *want);
static void ngx_http_oauth2_client_test_jwk_rfc7638(void);
static void ngx_http_oauth2_client_test_jwk_refusals(void);


/* a JWK of t/keys against the PEM key openssl made */

static void
ngx_http_oauth2_client_test_jwk_file(const char *name, const char *pem,
    const char *kid, int alg)
{
    int                            rc;
    char                           err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                          *data;
    size_t                         len;
    EVP_PKEY                      *want;
    json_free_t                    free_fn;
    json_malloc_t                  malloc_fn;
    ngx_http_oauth2_client_jwk_t   jwk;

    data = ngx_http_oauth2_client_test_read(name, &len);
    want = ngx_http_oauth2_client_test_pem_key(pem);

    if (data == NULL || want == NULL) {
        free(data);
        EVP_PKEY_free(want);
        return;
    }

    err[0] = '\0';

    rc = ngx_http_oauth2_client_jwk_parse((unsigned char *) data, len, &jwk,
                                          err, sizeof(err));
    CHECK(rc == 0);
    CHECK_STR(err, "");

    /* the private parts too: the same key, not only the same public key */
    CHECK(jwk.pkey != NULL && EVP_PKEY_eq(jwk.pkey, want) == 1);
    CHECK(ngx_http_oauth2_client_test_same_public(jwk.pkey, want));
    CHECK_STR(jwk.kid, kid);
    CHECK(jwk.alg == alg);

    /* jansson's allocator is given back */
    json_get_alloc_funcs(&malloc_fn, &free_fn);
    CHECK(malloc_fn == malloc && free_fn == free);

    ngx_http_oauth2_client_jwk_free(&jwk);
    CHECK(jwk.pkey == NULL && jwk.kid == NULL);

    EVP_PKEY_free(want);
    OPENSSL_cleanse(data, len);
    free(data);
}


/* our public JWK and thumbprint of the PEM key against CryptX's files */

static void
ngx_http_oauth2_client_test_jwk_public(const char *name)
{
    char       file[64];
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char       jkt[NGX_HTTP_OAUTH2_CLIENT_JKT_LEN + 1];
    char      *got, *want;
    size_t     len;
    EVP_PKEY  *pkey;

    (void) snprintf(file, sizeof(file), "%s.pem", name);
    pkey = ngx_http_oauth2_client_test_pem_key(file);
    if (pkey == NULL) {
        return;
    }

    got = ngx_http_oauth2_client_jwk_public(pkey, &len, err, sizeof(err));
    CHECK(got != NULL && strlen(got) == len);

    (void) snprintf(file, sizeof(file), "%s.pub.jwk", name);
    want = ngx_http_oauth2_client_test_read_line(file);
    CHECK_STR(got, want);
    CHECK(got != NULL && strstr(got, "\"d\"") == NULL);
    free(got);
    free(want);

    CHECK(ngx_http_oauth2_client_jwk_thumbprint(pkey, jkt, err, sizeof(err))
          == 0);

    (void) snprintf(file, sizeof(file), "%s.jkt", name);
    want = ngx_http_oauth2_client_test_read_line(file);
    CHECK_STR(jkt, want);
    free(want);

    EVP_PKEY_free(pkey);
}


/* a copy of a JWK file with member set to value (NULL: removed) */

static char *
ngx_http_oauth2_client_test_jwk_edit(const char *file, const char *member,
    json_t *value)
{
    char          *data, *out;
    json_t        *root, *key;
    json_error_t   jerr;

    data = ngx_http_oauth2_client_test_read(file, NULL);
    if (data == NULL) {
        json_decref(value);
        return NULL;
    }

    root = json_loads(data, 0, &jerr);
    free(data);

    if (root == NULL) {
        json_decref(value);
        CHECK(root != NULL);
        return NULL;
    }

    key = json_object_get(root, "keys");
    key = key != NULL ? json_array_get(key, 0) : root;

    if (value != NULL) {
        json_object_set_new(key, member, value);

    } else {
        json_object_del(key, member);
    }

    out = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    return out;
}


static void
ngx_http_oauth2_client_test_jwk_text(const char *text, const char *want)
{
    int                            rc;
    char                           err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    ngx_http_oauth2_client_jwk_t   jwk;

    if (text == NULL) {
        CHECK(text != NULL);
        return;
    }

    err[0] = '\0';
    memset(&jwk, 0xaa, sizeof(jwk));

    rc = ngx_http_oauth2_client_jwk_parse((const unsigned char *) text,
                                          strlen(text), &jwk, err,
                                          sizeof(err));

    if (want == NULL) {
        CHECK(rc == 0 && jwk.pkey != NULL);
        CHECK_STR(err, "");

    } else {
        CHECK(rc == -1);
        CHECK(jwk.pkey == NULL && jwk.kid == NULL);
        CHECK_ERR(err, want);
    }

    ngx_http_oauth2_client_jwk_free(&jwk);

    CHECK(ERR_peek_error() == 0);
}


static void
ngx_http_oauth2_client_test_jwk_bad(const char *file, const char *member,
    json_t *value, const char *want)
{
    char  *text;

    text = ngx_http_oauth2_client_test_jwk_edit(file, member, value);
    ngx_http_oauth2_client_test_jwk_text(text, want);
    free(text);
}


/*
 * RFC 7638, section 3.1: the example RSA key, its canonical JSON and
 * its thumbprint, NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs
 */

static void
ngx_http_oauth2_client_test_jwk_rfc7638(void)
{
    char             err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char             jkt[NGX_HTTP_OAUTH2_CLIENT_JKT_LEN + 1];
    char            *json, *canonical;
    size_t           len;
    BIGNUM          *n, *e;
    EVP_PKEY        *pkey;
    OSSL_PARAM      *params;
    EVP_PKEY_CTX    *ctx;
    unsigned char    buf[256];
    OSSL_PARAM_BLD  *bld;

    static const char  n64[] =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1"
        "RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc"
        "5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs"
        "8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4v"
        "MQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8aw"
        "apJzKnqDKgw";

    len = ngx_http_oauth2_client_base64url_decode(buf,
                              (const unsigned char *) n64, sizeof(n64) - 1);
    CHECK(len == 256);

    n = BN_bin2bn(buf, (int) len, NULL);
    e = BN_new();
    bld = OSSL_PARAM_BLD_new();
    pkey = NULL;

    CHECK(n != NULL && e != NULL && bld != NULL
          && BN_set_word(e, 65537) == 1
          && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1
          && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1);

    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);

    CHECK(params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1
          && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1);

    json = ngx_http_oauth2_client_jwk_public(pkey, &len, err, sizeof(err));

    canonical = malloc(sizeof(n64) + 64);
    if (canonical != NULL) {
        (void) snprintf(canonical, sizeof(n64) + 64,
                        "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"%s\"}", n64);
        CHECK_STR(json, canonical);
        free(canonical);
    }

    CHECK(ngx_http_oauth2_client_jwk_thumbprint(pkey, jkt, err, sizeof(err))
          == 0);
    CHECK_STR(jkt, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");

    free(json);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);

    /* and no key at all */
    CHECK(ngx_http_oauth2_client_jwk_public(NULL, NULL, err, sizeof(err))
          == NULL);
    CHECK(ngx_http_oauth2_client_jwk_thumbprint(NULL, jkt, err, sizeof(err))
          == -1);
}


static void
ngx_http_oauth2_client_test_jwk_refusals(void)
{
    char                          *rsa, *ec, *dq, *text;
    ngx_http_oauth2_client_jwk_t   jwk;

    /* the public JWKs CryptX wrote */

    ngx_http_oauth2_client_test_jwk_bad("rsa1.pub.jwk", "x", NULL,
                                        "the JWK is a public key (it has no "
                                        "\"d\"): the private key is needed");
    ngx_http_oauth2_client_test_jwk_bad("ec1.pub.jwk", "x5c", NULL,
                                        "the JWK is a public key");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwks", "d", NULL,
                                        "the JWK is a public key");

    /* JWKS */

    ngx_http_oauth2_client_test_jwk_bad("two.jwks", "x", NULL,
                                        "a JWKS with 2 keys: exactly one "
                                        "private key is needed");
    ngx_http_oauth2_client_test_jwk_text("{\"keys\":[]}",
                                         "a JWKS with 0 keys");
    ngx_http_oauth2_client_test_jwk_text("{\"keys\":{}}",
                                         "must be an array");
    ngx_http_oauth2_client_test_jwk_text("{\"keys\":[1]}",
                                         "is not a JSON object");

    /* JSON */

    ngx_http_oauth2_client_test_jwk_text("", "no JWK data");
    ngx_http_oauth2_client_test_jwk_text("{", "invalid JSON at line 1");
    ngx_http_oauth2_client_test_jwk_text("[]", "a JWK must be a JSON object");
    ngx_http_oauth2_client_test_jwk_text("{\"kty\":\"EC\",\"kty\":\"EC\"}",
                                         "duplicate object key");
    ngx_http_oauth2_client_test_jwk_text("{}", "not a JWK: no \"kty\"");
    ngx_http_oauth2_client_test_jwk_text("{\"kty\":1}",
                                         "\"kty\" is not a string");

    /* key types, curves */

    ngx_http_oauth2_client_test_jwk_text("{\"kty\":\"oct\",\"k\":\"AAAA\"}",
                                         "a shared secret");
    ngx_http_oauth2_client_test_jwk_text("{\"kty\":\"OKP\",\"crv\":"
                                         "\"Ed25519\",\"x\":\"AA\",\"d\":"
                                         "\"AA\"}",
                                         "unsupported key type \"OKP\"");
    ngx_http_oauth2_client_test_jwk_text("{\"kty\":\"R\\nSA\"}",
                                         "unsupported key type \"R?SA\"");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "crv",
                                        json_string("secp256k1"),
                                        "EC key on curve secp256k1 is not "
                                        "supported");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "crv", NULL,
                                        "the EC JWK has no \"crv\"");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "crv", json_string("P-384"),
                                        "the JWK member \"x\" has 32 bytes, "
                                        "P-384 needs 48");
    ngx_http_oauth2_client_test_jwk_bad("rsa1024.jwk", "x", NULL,
                                        "RSA key of 1024 bits is too short, "
                                        "at least 2048 are required");

    /* members */

    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "qi", NULL,
                                        "the RSA JWK has no \"qi\" (an RSA "
                                        "private JWK needs n, e, d, p, q, "
                                        "dp, dq and qi)");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "oth", json_array(),
                                        "multi-prime RSA keys");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "e", json_string(""),
                                        "the JWK member \"e\" is empty");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "e", json_integer(65537),
                                        "the JWK member \"e\" is not a "
                                        "string");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "e", json_string("AQAB="),
                                        "the JWK member \"e\" is not valid "
                                        "base64url");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "d",
                                        json_string("_P8KE6xyQerd0q2sUPW6VY"
                                                    "cBAnDHO8YDD/xFXiOrssA"),
                                        "the JWK member \"d\" is not valid "
                                        "base64url");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "y", json_string("AAAA"),
                                        "the JWK member \"y\" has 3 bytes");

    /* parts that do not fit together */

    rsa = ngx_http_oauth2_client_test_jwk_edit("rsa1.jwk", "x", NULL);
    text = NULL;

    if (rsa != NULL) {
        CHECK(ngx_http_oauth2_client_jwk_parse((unsigned char *) rsa,
                                               strlen(rsa), &jwk, NULL, 0)
              == 0);

        /* dp where dq should be */
        dq = strstr(rsa, "\"dq\":\"");
        text = ngx_http_oauth2_client_test_jwk_edit("rsa1.jwk", "dp",
                   dq != NULL ? json_stringn(dq + 6, strcspn(dq + 6, "\""))
                              : NULL);
        ngx_http_oauth2_client_test_jwk_text(text,
                                             "the parts of the JWK's key do "
                                             "not make a valid RSA key");
        free(text);

        ngx_http_oauth2_client_jwk_free(&jwk);
        free(rsa);
    }

    /* another EC key's d with this key's x and y */

    ec = ngx_http_oauth2_client_test_jwk_edit("ec1.jwk", "x", NULL);
    text = ngx_http_oauth2_client_test_jwk_edit("ec1.jwk", "d",
               json_string("_P8KE6xyQerd0q2sUPW6VYcBAnDHO8YDD_xFXiOrssA"));

    if (ec != NULL && text != NULL
        && strstr(ec, "_P8KE6xyQerd0q2sUPW6VYcBAnDHO8YDD_xFXiOrssA") == NULL)
    {
        ngx_http_oauth2_client_test_jwk_text(text,
                                             "the parts of the JWK's key do "
                                             "not make a valid EC key");
    }

    free(ec);
    free(text);

    /* a point that is not on the curve */

    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "y",
               json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
               "OpenSSL refused the EC key of the JWK");

    /* use, key_ops, alg, kid */

    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "use", json_string("enc"),
                                        "the JWK is not a signing key (its "
                                        "\"use\" is \"enc\", not \"sig\")");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "key_ops",
                                        json_pack("[s]", "verify"),
                                        "its \"key_ops\" have no \"sign\"");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "key_ops",
                                        json_pack("[s,s]", "verify", "sign"),
                                        NULL);
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "key_ops",
                                        json_string("sign"),
                                        "\"key_ops\" is not an array");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "alg", json_string("ES384"),
                                        "the JWK's \"alg\" \"ES384\" does not "
                                        "fit its EC P-256 key");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "alg", json_string("RS256"),
                                        "does not fit its EC P-256 key");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "alg",
                                        json_string("ES256"),
                                        "the JWK's \"alg\" \"ES256\" does not "
                                        "fit its RSA key");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "alg",
                                        json_string("RSA-OAEP"),
                                        "the JWK's \"alg\" \"RSA-OAEP\" is "
                                        "not a supported signing algorithm");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "alg", json_string("HS256"),
                                        "is not a supported signing");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "alg", json_string("none"),
                                        "is not a supported signing");
    ngx_http_oauth2_client_test_jwk_bad("ec1.jwk", "alg", json_true(),
                                        "\"alg\" is not a string");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "kid",
                                        json_string("a\nb"),
                                        "contains a control character");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "kid", json_string(""),
                                        "the JWK's \"kid\" has 0 characters");
    ngx_http_oauth2_client_test_jwk_bad("rsa1.jwk", "kid", json_integer(1),
                                        "\"kid\" is not a string");

    /* PS256 fits an RSA key */

    text = ngx_http_oauth2_client_test_jwk_edit("rsa1.jwk", "alg",
                                                json_string("PS256"));
    if (text != NULL) {
        CHECK(ngx_http_oauth2_client_jwk_parse((unsigned char *) text,
                                               strlen(text), &jwk, NULL, 0)
              == 0);
        CHECK(jwk.alg == ALG(PS256));
        ngx_http_oauth2_client_jwk_free(&jwk);
        free(text);
    }

    CHECK(ngx_http_oauth2_client_jwk_parse((unsigned char *) "{}", 2, NULL,
                                           NULL, 0) == -1);
    ngx_http_oauth2_client_jwk_free(NULL);
}


void
ngx_http_oauth2_client_test_jwk(void)
{
    ngx_http_oauth2_client_test_jwk_file("rsa1.jwk", "rsa1.pem",
                                         "kid-rsa1-Qx7_2Lm", ALG(UNSET));
    ngx_http_oauth2_client_test_jwk_file("ec1.jwk", "ec1.pem",
                                         "kid-ec1-Qx7_2Lm", ALG(UNSET));
    ngx_http_oauth2_client_test_jwk_file("ec384.jwk", "ec384.pem",
                                         "kid-ec384-Qx7_2Lm", ALG(UNSET));
    ngx_http_oauth2_client_test_jwk_file("ec521.jwk", "ec521.pem",
                                         "kid-ec521-Qx7_2Lm", ALG(UNSET));
    ngx_http_oauth2_client_test_jwk_file("rsa1-alg.jwk", "rsa1.pem",
                                         "kid-rsa1-Qx7_2Lm", ALG(RS256));
    ngx_http_oauth2_client_test_jwk_file("ec1-alg.jwk", "ec1.pem",
                                         "kid-ec1-Qx7_2Lm", ALG(ES256));
    ngx_http_oauth2_client_test_jwk_file("rsa1.jwks", "rsa1.pem",
                                         "kid-rsa1-Qx7_2Lm", ALG(UNSET));

    ngx_http_oauth2_client_test_jwk_public("rsa1");
    ngx_http_oauth2_client_test_jwk_public("ec1");
    ngx_http_oauth2_client_test_jwk_public("ec384");
    ngx_http_oauth2_client_test_jwk_public("ec521");

    ngx_http_oauth2_client_test_jwk_rfc7638();
    ngx_http_oauth2_client_test_jwk_refusals();
}
