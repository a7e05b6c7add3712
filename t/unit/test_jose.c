
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Unit tests of the nginx-free library: base64url, form encoding, keys,
 * JWS signatures, client assertions, token requests and token responses.
 * Signatures are checked with OpenSSL's verify functions, not with the
 * code under test.  Prints one "N passed, N failed" line at the end.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_encode.h"
#include "ngx_http_oauth2_client_key.h"
#include "ngx_http_oauth2_client_jose.h"
#include "ngx_http_oauth2_client_json.h"
#include "ngx_http_oauth2_client_body.h"


#define CHECK(cond)                                                         \
    ngx_http_oauth2_client_test_check((cond) != 0, __LINE__, #cond)

#define CHECK_STR(got, want)                                                \
    ngx_http_oauth2_client_test_check_str(got, want, __LINE__)

#define CHECK_PREFIX(got, want)                                             \
    ngx_http_oauth2_client_test_check_prefix(got, want, __LINE__)

#define PARSE_OK(body, token, expires, capped)                              \
    ngx_http_oauth2_client_test_parse(__LINE__, 200, body, strlen(body),    \
                                      0, NULL, token, expires, capped)

#define PARSE_ERR(status, body, err)                                        \
    ngx_http_oauth2_client_test_parse(__LINE__, status, body, strlen(body), \
                                      -1, err, NULL, 0, 0)

#define PARSE_ERRN(status, body, len, err)                                  \
    ngx_http_oauth2_client_test_parse(__LINE__, status, body, len,          \
                                      -1, err, NULL, 0, 0)

#define ALG(name)  NGX_HTTP_OAUTH2_CLIENT_ALG_ ## name


typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8 = 0,
    NGX_HTTP_OAUTH2_CLIENT_TEST_TRADITIONAL,
    NGX_HTTP_OAUTH2_CLIENT_TEST_PUBLIC,
    NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8_ENCRYPTED,
    NGX_HTTP_OAUTH2_CLIENT_TEST_TRADITIONAL_ENCRYPTED,
    NGX_HTTP_OAUTH2_CLIENT_TEST_CERTIFICATE
} ngx_http_oauth2_client_test_pem_e;


typedef struct {
    EVP_PKEY                     *rsa;
    EVP_PKEY                     *p256;
    EVP_PKEY                     *p384;
    EVP_PKEY                     *p521;
} ngx_http_oauth2_client_test_keys_t;


static void ngx_http_oauth2_client_test_check(int ok, int line,
    const char *what);
static void ngx_http_oauth2_client_test_check_str(const char *got,
    const char *want, int line);
static void ngx_http_oauth2_client_test_check_prefix(const char *got,
    const char *want, int line);
static char *ngx_http_oauth2_client_test_pem(EVP_PKEY *pkey, int form,
    size_t *len);
static EVP_PKEY *ngx_http_oauth2_client_test_parse_ok(const char *data,
    size_t len, EVP_PKEY *orig, int line);
static void ngx_http_oauth2_client_test_parse_bad(const char *data,
    size_t len, const char *want, int line);
static int ngx_http_oauth2_client_test_same_key(EVP_PKEY *a, EVP_PKEY *b);
static int ngx_http_oauth2_client_test_verify(EVP_PKEY *pkey, int alg,
    const unsigned char *in, size_t len, const unsigned char *sig,
    size_t siglen);
static json_t *ngx_http_oauth2_client_test_decode_json(const char *p,
    size_t len);
static void ngx_http_oauth2_client_test_token_type(int line,
    const char *type, int dpop);
static void ngx_http_oauth2_client_test_parse(int line, unsigned status,
    const char *body, size_t len, int want_rc, const char *want_err,
    const char *want_token, long long want_expires, int want_capped);
static void ngx_http_oauth2_client_test_alg(void);
static void ngx_http_oauth2_client_test_base64url(void);
static void ngx_http_oauth2_client_test_form(void);
static void ngx_http_oauth2_client_test_keys(
    ngx_http_oauth2_client_test_keys_t *keys);
static void ngx_http_oauth2_client_test_key_load(EVP_PKEY *pkey);
static void ngx_http_oauth2_client_test_key_algs(
    ngx_http_oauth2_client_test_keys_t *keys);
static void ngx_http_oauth2_client_test_sign(
    ngx_http_oauth2_client_test_keys_t *keys);
static void ngx_http_oauth2_client_test_assertion(
    ngx_http_oauth2_client_test_keys_t *keys);
static void ngx_http_oauth2_client_test_one_assertion(EVP_PKEY *pkey,
    int alg, const char *kid, char *jti, size_t jtilen);
static void ngx_http_oauth2_client_test_body(
    ngx_http_oauth2_client_test_keys_t *keys);
static void ngx_http_oauth2_client_test_layers(
    ngx_http_oauth2_client_test_keys_t *keys);
static void ngx_http_oauth2_client_test_oauth_error(void);
static void ngx_http_oauth2_client_test_fingerprint(void);
static void ngx_http_oauth2_client_test_chars(void);
static void ngx_http_oauth2_client_test_token_parse(void);
static void ngx_http_oauth2_client_test_errlen(void);


static int  ngx_http_oauth2_client_test_passed;
static int  ngx_http_oauth2_client_test_failed;


static void
ngx_http_oauth2_client_test_check(int ok, int line, const char *what)
{
    if (ok) {
        ngx_http_oauth2_client_test_passed++;
        return;
    }

    ngx_http_oauth2_client_test_failed++;
    printf("FAILED line %d: %s\n", line, what);
}


static void
ngx_http_oauth2_client_test_check_str(const char *got, const char *want,
    int line)
{
    if (got != NULL && want != NULL && strcmp(got, want) == 0) {
        ngx_http_oauth2_client_test_passed++;
        return;
    }

    ngx_http_oauth2_client_test_failed++;
    printf("FAILED line %d: got \"%s\", want \"%s\"\n", line,
           got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}


static void
ngx_http_oauth2_client_test_check_prefix(const char *got, const char *want,
    int line)
{
    if (got != NULL && want != NULL
        && strncmp(got, want, strlen(want)) == 0)
    {
        ngx_http_oauth2_client_test_passed++;
        return;
    }

    ngx_http_oauth2_client_test_failed++;
    printf("FAILED line %d: got \"%s\", want a prefix \"%s\"\n", line,
           got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}


/* a key in one of the PEM forms, malloc()ed and NUL-terminated */

static char *
ngx_http_oauth2_client_test_pem(EVP_PKEY *pkey, int form, size_t *len)
{
    int         ok;
    BIO        *bio;
    char       *out, *data;
    long        n;
    X509       *x;
    X509_NAME  *name;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return NULL;
    }

    ok = 0;

    switch (form) {

    case NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8:
        ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
        break;

    case NGX_HTTP_OAUTH2_CLIENT_TEST_TRADITIONAL:
        ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0,
                                                  NULL, NULL);
        break;

    case NGX_HTTP_OAUTH2_CLIENT_TEST_PUBLIC:
        ok = PEM_write_bio_PUBKEY(bio, pkey);
        break;

    case NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8_ENCRYPTED:
        ok = PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_256_cbc(),
                                           "secret", 6, NULL, NULL);
        break;

    case NGX_HTTP_OAUTH2_CLIENT_TEST_TRADITIONAL_ENCRYPTED:
        ok = PEM_write_bio_PrivateKey_traditional(bio, pkey,
                                                  EVP_aes_256_cbc(),
                                                  (unsigned char *) "secret",
                                                  6, NULL, NULL);
        break;

    case NGX_HTTP_OAUTH2_CLIENT_TEST_CERTIFICATE:
        x = X509_new();
        if (x == NULL) {
            break;
        }

        name = X509_get_subject_name(x);

        ok = X509_set_version(x, 2)
             && ASN1_INTEGER_set(X509_get_serialNumber(x), 1)
             && X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL
             && X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL
             && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                           (const unsigned char *) "test",
                                           -1, -1, 0)
             && X509_set_issuer_name(x, name)
             && X509_set_pubkey(x, pkey)
             && X509_sign(x, pkey, EVP_sha256()) > 0
             && PEM_write_bio_X509(bio, x);

        X509_free(x);
        break;
    }

    out = NULL;

    if (ok) {
        n = BIO_get_mem_data(bio, &data);
        out = malloc((size_t) n + 1);

        if (out != NULL) {
            memcpy(out, data, (size_t) n);
            out[n] = '\0';
            *len = (size_t) n;
        }
    }

    BIO_free(bio);

    return out;
}


static int
ngx_http_oauth2_client_test_same_key(EVP_PKEY *a, EVP_PKEY *b)
{
    unsigned char  fa[32], fb[32];

    if (ngx_http_oauth2_client_key_fingerprint(a, fa) != 0
        || ngx_http_oauth2_client_key_fingerprint(b, fb) != 0)
    {
        return 0;
    }

    return memcmp(fa, fb, 32) == 0 && EVP_PKEY_eq(a, b) == 1;
}


static EVP_PKEY *
ngx_http_oauth2_client_test_parse_ok(const char *data, size_t len,
    EVP_PKEY *orig, int line)
{
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    EVP_PKEY  *pkey;

    err[0] = '\0';

    pkey = ngx_http_oauth2_client_key_parse((const unsigned char *) data,
                                            len, err, sizeof(err));

    ngx_http_oauth2_client_test_check(pkey != NULL, line, "key parsed");

    if (pkey == NULL) {
        printf("    error: %s\n", err);
        return NULL;
    }

    ngx_http_oauth2_client_test_check(
        ngx_http_oauth2_client_test_same_key(pkey, orig), line,
        "parsed key is the generated key");
    ngx_http_oauth2_client_test_check(ERR_peek_error() == 0, line,
                                      "OpenSSL error queue empty");

    return pkey;
}


static void
ngx_http_oauth2_client_test_parse_bad(const char *data, size_t len,
    const char *want, int line)
{
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    EVP_PKEY  *pkey;

    err[0] = '\0';

    pkey = ngx_http_oauth2_client_key_parse((const unsigned char *) data,
                                            len, err, sizeof(err));

    ngx_http_oauth2_client_test_check(pkey == NULL, line, "key refused");
    ngx_http_oauth2_client_test_check_str(err, want, line);
    ngx_http_oauth2_client_test_check(ERR_peek_error() == 0, line,
                                      "OpenSSL error queue empty");

    EVP_PKEY_free(pkey);
}


/* an independent check: OpenSSL's verify, with r||s turned back to DER */

static int
ngx_http_oauth2_client_test_verify(EVP_PKEY *pkey, int alg,
    const unsigned char *in, size_t len, const unsigned char *sig,
    size_t siglen)
{
    int                   rc, derlen;
    BIGNUM               *r, *s;
    ECDSA_SIG            *es;
    EVP_MD_CTX           *ctx;
    const EVP_MD         *md;
    EVP_PKEY_CTX         *pctx;
    unsigned char        *der;
    const unsigned char  *p;

    switch (alg) {

    case ALG(RS256):
    case ALG(ES256):
    case ALG(PS256):
        md = EVP_sha256();
        break;

    case ALG(RS384):
    case ALG(ES384):
    case ALG(PS384):
        md = EVP_sha384();
        break;

    default:
        md = EVP_sha512();
        break;
    }

    der = NULL;
    p = sig;
    derlen = (int) siglen;

    if (alg >= ALG(ES256) && alg <= ALG(ES512)) {
        if (siglen % 2) {
            return 0;
        }

        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, (int) siglen / 2, NULL);
        s = BN_bin2bn(sig + siglen / 2, (int) siglen / 2, NULL);

        if (es == NULL || r == NULL || s == NULL
            || ECDSA_SIG_set0(es, r, s) != 1)
        {
            ECDSA_SIG_free(es);
            BN_free(r);
            BN_free(s);
            return 0;
        }

        derlen = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);

        if (derlen <= 0) {
            return 0;
        }

        p = der;
    }

    rc = 0;

    ctx = EVP_MD_CTX_new();

    /* PS*: the salt must be exactly as long as the digest (RFC 7518) */

    if (ctx != NULL
        && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pkey) == 1
        && ((alg >= ALG(ES256) && alg <= ALG(ES512))
            || (alg <= ALG(RS512)
                && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0)
            || (alg >= ALG(PS256)
                && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING)
                   > 0
                && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                                    RSA_PSS_SALTLEN_DIGEST)
                   > 0
                && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0)))
    {
        rc = (EVP_DigestVerify(ctx, p, (size_t) derlen, in, len) == 1);
    }

    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();

    return rc;
}


static json_t *
ngx_http_oauth2_client_test_decode_json(const char *p, size_t len)
{
    size_t          n;
    json_t         *json;
    unsigned char  *buf;

    buf = malloc(len + 1);
    if (buf == NULL) {
        return NULL;
    }

    n = ngx_http_oauth2_client_base64url_decode(buf,
                                                (const unsigned char *) p,
                                                len);
    if (n == (size_t) -1) {
        free(buf);
        return NULL;
    }

    json = json_loadb((const char *) buf, n, JSON_REJECT_DUPLICATES, NULL);

    free(buf);

    return json;
}


static void
ngx_http_oauth2_client_test_alg(void)
{
    int          alg;
    const char  *name;

    static const char  *names[] = {
        NULL, "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
        "PS256", "PS384", "PS512"
    };

    for (alg = ALG(RS256); alg <= ALG(PS512); alg++) {
        name = ngx_http_oauth2_client_alg_name(alg);
        CHECK_STR(name, names[alg]);
        CHECK(ngx_http_oauth2_client_alg_by_name(names[alg], 5) == alg);
    }

    CHECK(ALG(UNSET) == 0);
    CHECK(ngx_http_oauth2_client_alg_name(ALG(UNSET)) == NULL);
    CHECK(ngx_http_oauth2_client_alg_name(ALG(PS512) + 1) == NULL);
    CHECK(ngx_http_oauth2_client_alg_name(-1) == NULL);

    CHECK(ngx_http_oauth2_client_alg_by_name("es256", 5) == ALG(UNSET));
    CHECK(ngx_http_oauth2_client_alg_by_name("RS25", 4) == ALG(UNSET));
    CHECK(ngx_http_oauth2_client_alg_by_name("RS2560", 6) == ALG(UNSET));
    CHECK(ngx_http_oauth2_client_alg_by_name("HS256", 5) == ALG(UNSET));
    CHECK(ngx_http_oauth2_client_alg_by_name("none", 4) == ALG(UNSET));
    CHECK(ngx_http_oauth2_client_alg_by_name("", 0) == ALG(UNSET));
    CHECK(ngx_http_oauth2_client_alg_by_name(NULL, 5) == ALG(UNSET));

    /* the length counts, not a NUL */
    CHECK(ngx_http_oauth2_client_alg_by_name("RS384x", 5) == ALG(RS384));
}


static void
ngx_http_oauth2_client_test_base64url(void)
{
    size_t          i, len, n;
    unsigned char   src[64], enc[100], dec[100];

    static const struct {
        const char     *raw;
        size_t          len;
        const char     *enc;
    } vectors[] = {
        /* RFC 4648, section 10, without padding */
        { "", 0, "" },
        { "f", 1, "Zg" },
        { "fo", 2, "Zm8" },
        { "foo", 3, "Zm9v" },
        { "foob", 4, "Zm9vYg" },
        { "fooba", 5, "Zm9vYmE" },
        { "foobar", 6, "Zm9vYmFy" },
        /* the two characters that differ from base64 */
        { "\xfb\xef\xbe", 3, "----" },
        { "\xff\xff\xff", 3, "____" },
        { "\xfb\xff", 2, "-_8" },
        { "\x00", 1, "AA" },
        { "\x00\x00\x00\x00", 4, "AAAAAA" }
    };

    static const char  *invalid[] = {
        "Z",            /* 1 character left over */
        "Zm9vY",
        "Zg==",         /* padding */
        "Zm8=",
        "Zm9v=",
        "Zm+v",         /* base64, not base64url */
        "Zm/v",
        "Zm9 v",
        "Zm9\nv",
        "Zm9v\r\n",
        "Zh",           /* unused bits set */
        "Zm9",
        "Zm!v",
        "\xc3\xa9\xc3\xa9"
    };

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        len = vectors[i].len;

        n = ngx_http_oauth2_client_base64url_encoded_len(len);
        CHECK(n == strlen(vectors[i].enc));

        n = ngx_http_oauth2_client_base64url_encode(enc,
                                (const unsigned char *) vectors[i].raw, len);
        enc[n] = '\0';
        CHECK_STR((char *) enc, vectors[i].enc);

        n = ngx_http_oauth2_client_base64url_decode(dec, enc, n);
        CHECK(n == len);
        CHECK(n == len && memcmp(dec, vectors[i].raw, len) == 0);
    }

    /* round trips of every length, the zero byte and 0xff included */

    for (len = 0; len <= sizeof(src); len++) {
        CHECK(RAND_bytes(src, (int) sizeof(src)) == 1);

        if (len > 2) {
            src[0] = 0x00;
            src[1] = 0xff;
        }

        n = ngx_http_oauth2_client_base64url_encode(enc, src, len);
        CHECK(n == ngx_http_oauth2_client_base64url_encoded_len(len));
        CHECK(memchr(enc, '=', n) == NULL);

        n = ngx_http_oauth2_client_base64url_decode(dec, enc, n);
        CHECK(n == len && memcmp(dec, src, len) == 0);
    }

    for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        n = ngx_http_oauth2_client_base64url_decode(dec,
                                    (const unsigned char *) invalid[i],
                                    strlen(invalid[i]));
        if (n != (size_t) -1) {
            printf("    accepted \"%s\"\n", invalid[i]);
        }

        CHECK(n == (size_t) -1);
    }

    /* a NUL byte inside */
    CHECK(ngx_http_oauth2_client_base64url_decode(dec,
                               (const unsigned char *) "Zm\0v", 4)
          == (size_t) -1);

    CHECK(ngx_http_oauth2_client_base64url_decode(dec,
                               (const unsigned char *) "", 0) == 0);
}


static void
ngx_http_oauth2_client_test_form(void)
{
    size_t          i, len, n;
    unsigned char   out[256];

    static const char  *vectors[][2] = {
        { "", "" },
        { "abcXYZ019-._~", "abcXYZ019-._~" },
        { " ", "+" },
        { "+", "%2B" },
        { "%", "%25" },
        { "&", "%26" },
        { "=", "%3D" },
        { "/", "%2F" },
        { ":", "%3A" },
        { "*", "%2A" },
        { "okta.users.read okta.apps.read",
          "okta.users.read+okta.apps.read" },
        { "a b+c%d&e=f", "a+b%2Bc%25d%26e%3Df" },
        { "\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9" },
        { "\xff\x7f\x01", "%FF%7F%01" },
        { "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" }
    };

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        len = strlen(vectors[i][0]);

        n = ngx_http_oauth2_client_form_encoded_len(
                               (const unsigned char *) vectors[i][0], len);
        CHECK(n == strlen(vectors[i][1]));

        n = ngx_http_oauth2_client_form_encode(out,
                               (const unsigned char *) vectors[i][0], len);
        out[n] = '\0';
        CHECK_STR((char *) out, vectors[i][1]);
    }

    /* the NUL byte */
    CHECK(ngx_http_oauth2_client_form_encoded_len(
                               (const unsigned char *) "a\0b", 3) == 5);
    n = ngx_http_oauth2_client_form_encode(out,
                               (const unsigned char *) "a\0b", 3);
    out[n] = '\0';
    CHECK_STR((char *) out, "a%00b");
}


static void
ngx_http_oauth2_client_test_keys(ngx_http_oauth2_client_test_keys_t *keys)
{
    int             i;
    char           *pem, *both;
    size_t          len, len2;
    EVP_PKEY       *pkey, *orig, *rsa1024, *ed25519, *k256;
    unsigned char   f1[32], f2[32];

    static const char  *bad[][2] = {
        { "{\"kty\":\"RSA\",\"n\":\"x\"}",
          "JWK key files are not supported, use the PEM form" },
        { " \r\n\t{\"keys\":[]}\n",
          "JWK key files are not supported, use the PEM form" },
        { "hello, world\n", "no PEM private key found" },
        { "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
          "no PEM private key found" }
    };

    keys->rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    keys->p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    keys->p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    keys->p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");

    CHECK(keys->rsa != NULL);
    CHECK(keys->p256 != NULL);
    CHECK(keys->p384 != NULL);
    CHECK(keys->p521 != NULL);

    if (keys->rsa == NULL || keys->p256 == NULL || keys->p384 == NULL
        || keys->p521 == NULL)
    {
        return;
    }

    /* PKCS#8 and the traditional forms (PKCS#1, SEC1) of every key */

    for (i = 0; i < 4; i++) {
        orig = (i == 0) ? keys->rsa
               : (i == 1) ? keys->p256
               : (i == 2) ? keys->p384 : keys->p521;

        pem = ngx_http_oauth2_client_test_pem(orig,
                                     NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8, &len);
        CHECK(pem != NULL && strstr(pem, "-----BEGIN PRIVATE KEY-----"));

        if (pem != NULL) {
            pkey = ngx_http_oauth2_client_test_parse_ok(pem, len, orig,
                                                        __LINE__);
            EVP_PKEY_free(pkey);
            free(pem);
        }

        pem = ngx_http_oauth2_client_test_pem(orig,
                               NGX_HTTP_OAUTH2_CLIENT_TEST_TRADITIONAL, &len);
        CHECK(pem != NULL
              && strstr(pem, (i == 0) ? "-----BEGIN RSA PRIVATE KEY-----"
                                      : "-----BEGIN EC PRIVATE KEY-----"));

        if (pem != NULL) {
            pkey = ngx_http_oauth2_client_test_parse_ok(pem, len, orig,
                                                        __LINE__);
            EVP_PKEY_free(pkey);
            free(pem);
        }

        /* encrypted, both forms */

        pem = ngx_http_oauth2_client_test_pem(orig,
                           NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8_ENCRYPTED, &len);
        CHECK(pem != NULL
              && strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));

        if (pem != NULL) {
            ngx_http_oauth2_client_test_parse_bad(pem, len,
                                    "encrypted private keys are not supported",
                                    __LINE__);
            free(pem);
        }

        pem = ngx_http_oauth2_client_test_pem(orig,
                     NGX_HTTP_OAUTH2_CLIENT_TEST_TRADITIONAL_ENCRYPTED, &len);
        CHECK(pem != NULL && strstr(pem, "Proc-Type: 4,ENCRYPTED"));

        if (pem != NULL) {
            ngx_http_oauth2_client_test_parse_bad(pem, len,
                                    "encrypted private keys are not supported",
                                    __LINE__);
            free(pem);
        }

        /* the public half and a certificate */

        pem = ngx_http_oauth2_client_test_pem(orig,
                                    NGX_HTTP_OAUTH2_CLIENT_TEST_PUBLIC, &len);
        CHECK(pem != NULL && strstr(pem, "-----BEGIN PUBLIC KEY-----"));

        if (pem != NULL) {
            ngx_http_oauth2_client_test_parse_bad(pem, len,
                         "no private key found (a certificate or public key?)",
                         __LINE__);
            free(pem);
        }

        pem = ngx_http_oauth2_client_test_pem(orig,
                               NGX_HTTP_OAUTH2_CLIENT_TEST_CERTIFICATE, &len);
        CHECK(pem != NULL && strstr(pem, "-----BEGIN CERTIFICATE-----"));

        if (pem != NULL) {
            ngx_http_oauth2_client_test_parse_bad(pem, len,
                         "no private key found (a certificate or public key?)",
                         __LINE__);
            free(pem);
        }
    }

    /* a certificate followed by its key, as some people keep them */

    pem = ngx_http_oauth2_client_test_pem(keys->p256,
                               NGX_HTTP_OAUTH2_CLIENT_TEST_CERTIFICATE, &len);
    both = ngx_http_oauth2_client_test_pem(keys->p256,
                                     NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8, &len2);
    CHECK(pem != NULL && both != NULL);

    if (pem != NULL && both != NULL) {
        pem = realloc(pem, len + len2 + 1);
        CHECK(pem != NULL);

        if (pem != NULL) {
            memcpy(pem + len, both, len2 + 1);
            pkey = ngx_http_oauth2_client_test_parse_ok(pem, len + len2,
                                                        keys->p256, __LINE__);
            EVP_PKEY_free(pkey);
        }
    }

    free(pem);
    free(both);

    /* a short RSA key */

    rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 1024);
    CHECK(rsa1024 != NULL);

    pem = ngx_http_oauth2_client_test_pem(rsa1024,
                                     NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8, &len);
    CHECK(pem != NULL);

    if (pem != NULL) {
        ngx_http_oauth2_client_test_parse_bad(pem, len,
                                        "RSA key of 1024 bits is too short, "
                                        "at least 2048 are required",
                                        __LINE__);
        free(pem);
    }

    EVP_PKEY_free(rsa1024);

    /* an RSA key whose signature would not fit the signing buffer */

    rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 4160);
    CHECK(rsa1024 != NULL);

    pem = ngx_http_oauth2_client_test_pem(rsa1024,
                                     NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8, &len);
    CHECK(pem != NULL);

    if (pem != NULL) {
        ngx_http_oauth2_client_test_parse_bad(pem, len,
                                        "RSA key of 4160 bits is too long, "
                                        "at most 4096 are supported",
                                        __LINE__);
        free(pem);
    }

    EVP_PKEY_free(rsa1024);

    /* key types and curves JWS has no algorithm for here */

    ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    CHECK(ed25519 != NULL);

    pem = ngx_http_oauth2_client_test_pem(ed25519,
                                     NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8, &len);
    CHECK(pem != NULL);

    if (pem != NULL) {
        ngx_http_oauth2_client_test_parse_bad(pem, len,
                                         "unsupported key type ED25519, only "
                                         "RSA and EC keys are supported",
                                         __LINE__);
        free(pem);
    }

    EVP_PKEY_free(ed25519);

    k256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    CHECK(k256 != NULL);

    pem = ngx_http_oauth2_client_test_pem(k256,
                                     NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8, &len);
    CHECK(pem != NULL);

    if (pem != NULL) {
        ngx_http_oauth2_client_test_parse_bad(pem, len,
                                         "EC key on curve secp256k1 is not "
                                         "supported, only P-256, P-384 and "
                                         "P-521 are", __LINE__);
        free(pem);
    }

    CHECK(ngx_http_oauth2_client_key_default_alg(k256, NULL, 0)
          == ALG(UNSET));
    CHECK(ngx_http_oauth2_client_key_check_alg(k256, ALG(ES256), NULL, 0)
          == -1);

    EVP_PKEY_free(k256);

    /* what else people put into key files */

    for (i = 0; i < 4; i++) {
        ngx_http_oauth2_client_test_parse_bad(bad[i][0], strlen(bad[i][0]),
                                              bad[i][1], __LINE__);
    }
    ngx_http_oauth2_client_test_parse_bad("\0\1\2\3", 4,
                                          "no PEM private key found",
                                          __LINE__);
    ngx_http_oauth2_client_test_parse_bad("", 0, "no PEM private key found",
                                          __LINE__);
    ngx_http_oauth2_client_test_parse_bad(NULL, 0,
                                          "no PEM private key found",
                                          __LINE__);

    /* fingerprints */

    CHECK(ngx_http_oauth2_client_key_fingerprint(keys->rsa, f1) == 0);
    CHECK(ngx_http_oauth2_client_key_fingerprint(keys->rsa, f2) == 0);
    CHECK(memcmp(f1, f2, 32) == 0);
    CHECK(ngx_http_oauth2_client_key_fingerprint(keys->p256, f2) == 0);
    CHECK(memcmp(f1, f2, 32) != 0);
    CHECK(ngx_http_oauth2_client_key_fingerprint(NULL, f1) == -1);

    CHECK(ERR_peek_error() == 0);
}


static void
ngx_http_oauth2_client_test_key_load(EVP_PKEY *orig)
{
    int        fd;
    char      *pem, err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN], want[600];
    char       path[] = "/tmp/oauth2_client_test_XXXXXX";
    unsigned   mode;
    size_t     len;
    EVP_PKEY  *pkey;

    static const char  missing[] = "/nonexistent/oauth2_client_test.pem";

    /* a missing file */

    err[0] = '\0';
    pkey = ngx_http_oauth2_client_key_load(missing, err, sizeof(err));
    CHECK(pkey == NULL);
    (void) snprintf(want, sizeof(want), "open() \"%s\" failed: %s", missing,
                    strerror(ENOENT));
    CHECK_STR(err, want);

    /* a directory */

    pkey = ngx_http_oauth2_client_key_load("/tmp", err, sizeof(err));
    CHECK(pkey == NULL);
    CHECK_STR(err, "\"/tmp\" is not a regular file");

    /* a real file: empty, then a key, then too big */

    fd = mkstemp(path);
    CHECK(fd != -1);

    if (fd == -1) {
        return;
    }

    pkey = ngx_http_oauth2_client_key_load(path, err, sizeof(err));
    CHECK(pkey == NULL);
    (void) snprintf(want, sizeof(want), "\"%s\" is empty", path);
    CHECK_STR(err, want);

    pem = ngx_http_oauth2_client_test_pem(orig,
                                     NGX_HTTP_OAUTH2_CLIENT_TEST_PKCS8, &len);
    CHECK(pem != NULL);

    if (pem != NULL) {
        CHECK(write(fd, pem, len) == (ssize_t) len);
        free(pem);

        pkey = ngx_http_oauth2_client_key_load(path, err, sizeof(err));
        CHECK(pkey != NULL);
        CHECK(pkey != NULL
              && ngx_http_oauth2_client_test_same_key(pkey, orig));
        EVP_PKEY_free(pkey);

        /* key_read() tells the permission bits of the file it read */

        CHECK(fchmod(fd, 0640) == 0);
        mode = 0;
        pkey = ngx_http_oauth2_client_key_read(path, &mode, err,
                                               sizeof(err));
        CHECK(pkey != NULL && mode == 0640);
        EVP_PKEY_free(pkey);
    }

    CHECK(ftruncate(fd, 1024 * 1024 + 1) == 0);

    pkey = ngx_http_oauth2_client_key_load(path, err, sizeof(err));
    CHECK(pkey == NULL);
    (void) snprintf(want, sizeof(want),
                    "\"%s\" is too big: 1048577 bytes, at most 1048576 are "
                    "allowed", path);
    CHECK_STR(err, want);

    /* a JSON file */

    CHECK(ftruncate(fd, 0) == 0);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(write(fd, "{\"kty\":\"EC\"}\n", 13) == 13);

    pkey = ngx_http_oauth2_client_key_load(path, err, sizeof(err));
    CHECK(pkey == NULL);
    CHECK_STR(err, "JWK key files are not supported, use the PEM form");

    (void) close(fd);
    (void) unlink(path);

    CHECK(ngx_http_oauth2_client_key_load(NULL, err, sizeof(err)) == NULL);
    CHECK(ERR_peek_error() == 0);
}


static void
ngx_http_oauth2_client_test_key_algs(ngx_http_oauth2_client_test_keys_t *keys)
{
    int        alg, k, want;
    char       err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    EVP_PKEY  *pkey[4];

    pkey[0] = keys->rsa;
    pkey[1] = keys->p256;
    pkey[2] = keys->p384;
    pkey[3] = keys->p521;

    CHECK(ngx_http_oauth2_client_key_default_alg(keys->rsa, err, sizeof(err))
          == ALG(RS256));
    CHECK(ngx_http_oauth2_client_key_default_alg(keys->p256, err,
                                                 sizeof(err))
          == ALG(ES256));
    CHECK(ngx_http_oauth2_client_key_default_alg(keys->p384, err,
                                                 sizeof(err))
          == ALG(ES384));
    CHECK(ngx_http_oauth2_client_key_default_alg(keys->p521, err,
                                                 sizeof(err))
          == ALG(ES512));
    CHECK(ngx_http_oauth2_client_key_default_alg(NULL, err, sizeof(err))
          == ALG(UNSET));

    /* every algorithm against every key */

    for (alg = ALG(RS256); alg <= ALG(PS512); alg++) {
        for (k = 0; k < 4; k++) {
            want = (k == 0) ? (alg <= ALG(RS512) || alg >= ALG(PS256))
                            : (alg == ALG(ES256) + k - 1);

            CHECK((ngx_http_oauth2_client_key_check_alg(pkey[k], alg, err,
                                                        sizeof(err))
                   == 0) == want);
        }
    }

    CHECK(ngx_http_oauth2_client_key_check_alg(keys->rsa, ALG(ES256), err,
                                               sizeof(err)) == -1);
    CHECK_STR(err, "signing_alg ES256 needs an EC P-256 key, the key is RSA");

    CHECK(ngx_http_oauth2_client_key_check_alg(keys->p384, ALG(ES256), err,
                                               sizeof(err)) == -1);
    CHECK_STR(err,
              "signing_alg ES256 needs an EC P-256 key, the key is EC P-384");

    CHECK(ngx_http_oauth2_client_key_check_alg(keys->p256, ALG(ES512), err,
                                               sizeof(err)) == -1);
    CHECK_STR(err,
              "signing_alg ES512 needs an EC P-521 key, the key is EC P-256");

    CHECK(ngx_http_oauth2_client_key_check_alg(keys->p521, ALG(RS384), err,
                                               sizeof(err)) == -1);
    CHECK_STR(err, "signing_alg RS384 needs an RSA key, the key is EC P-521");

    CHECK(ngx_http_oauth2_client_key_check_alg(keys->p256, ALG(PS256), err,
                                               sizeof(err)) == -1);
    CHECK_STR(err, "signing_alg PS256 needs an RSA key, the key is EC P-256");

    CHECK(ngx_http_oauth2_client_key_check_alg(keys->rsa, ALG(UNSET), err,
                                               sizeof(err)) == -1);
    CHECK_STR(err, "unknown signing_alg 0");

    CHECK(ngx_http_oauth2_client_key_check_alg(keys->rsa, 42, err,
                                               sizeof(err)) == -1);
    CHECK_STR(err, "unknown signing_alg 42");
}


static void
ngx_http_oauth2_client_test_sign(ngx_http_oauth2_client_test_keys_t *keys)
{
    int             alg;
    char            err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t          len, len2, want;
    EVP_PKEY       *pkey;
    unsigned char   sig[512], sig2[512];

    static const unsigned char  input[] = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOjF9";

    for (alg = ALG(RS256); alg <= ALG(PS512); alg++) {
        switch (alg) {

        case ALG(ES256):
            pkey = keys->p256;
            want = 64;
            break;

        case ALG(ES384):
            pkey = keys->p384;
            want = 96;
            break;

        case ALG(ES512):
            pkey = keys->p521;
            want = 132;
            break;

        default:
            pkey = keys->rsa;
            want = 256;
            break;
        }

        len = 0;
        err[0] = '\0';

        CHECK(ngx_http_oauth2_client_jws_sign(pkey, alg, input,
                                              sizeof(input) - 1, sig, &len,
                                              err, sizeof(err)) == 0);
        if (err[0] != '\0') {
            printf("    %s: %s\n", ngx_http_oauth2_client_alg_name(alg), err);
        }

        CHECK(len == want);
        CHECK(ngx_http_oauth2_client_test_verify(pkey, alg, input,
                                                 sizeof(input) - 1, sig,
                                                 len));

        /* a changed input or signature does not verify */
        CHECK(!ngx_http_oauth2_client_test_verify(pkey, alg, input,
                                                  sizeof(input) - 2, sig,
                                                  len));
        sig[len / 2] ^= 1;
        CHECK(!ngx_http_oauth2_client_test_verify(pkey, alg, input,
                                                  sizeof(input) - 1, sig,
                                                  len));
        sig[len / 2] ^= 1;

        /*
         * PKCS#1 v1.5 is deterministic; ECDSA and PSS (a random salt) are
         * not, yet every signature verifies
         */

        CHECK(ngx_http_oauth2_client_jws_sign(pkey, alg, input,
                                              sizeof(input) - 1, sig2, &len2,
                                              err, sizeof(err)) == 0);
        CHECK(len2 == len);

        if (alg <= ALG(RS512)) {
            CHECK(memcmp(sig, sig2, len) == 0);

        } else {
            CHECK(memcmp(sig, sig2, len) != 0);
            CHECK(ngx_http_oauth2_client_test_verify(pkey, alg, input,
                                                     sizeof(input) - 1, sig2,
                                                     len2));
        }

        /* an empty input signs too */
        CHECK(ngx_http_oauth2_client_jws_sign(pkey, alg, input, 0, sig,
                                              &len, err, sizeof(err)) == 0);
        CHECK(ngx_http_oauth2_client_test_verify(pkey, alg, input, 0, sig,
                                                 len));
    }

    /* keys that do not fit */

    CHECK(ngx_http_oauth2_client_jws_sign(keys->rsa, ALG(ES256), input,
                                          sizeof(input) - 1, sig, &len, err,
                                          sizeof(err)) == -1);
    CHECK_STR(err, "signing_alg ES256 needs an EC P-256 key, the key is RSA");

    CHECK(ngx_http_oauth2_client_jws_sign(keys->p384, ALG(ES256), input,
                                          sizeof(input) - 1, sig, &len, err,
                                          sizeof(err)) == -1);
    CHECK_STR(err,
              "signing_alg ES256 needs an EC P-256 key, the key is EC P-384");

    CHECK(ngx_http_oauth2_client_jws_sign(keys->rsa, ALG(UNSET), input,
                                          sizeof(input) - 1, sig, &len, err,
                                          sizeof(err)) == -1);
    CHECK_STR(err, "unknown signing_alg 0");

    CHECK(ngx_http_oauth2_client_jws_sign(NULL, ALG(RS256), input,
                                          sizeof(input) - 1, sig, &len, err,
                                          sizeof(err)) == -1);

    CHECK(ERR_peek_error() == 0);
}


/* one assertion, taken apart and checked claim by claim */

static void
ngx_http_oauth2_client_test_one_assertion(EVP_PKEY *pkey, int alg,
    const char *kid, char *jti, size_t jtilen)
{
    char                                *s, *dot1, *dot2;
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                               len, n, siglen;
    json_t                              *hdr, *claims;
    const char                          *v;
    unsigned char                        buf[600];
    ngx_http_oauth2_client_assertion_t   a;

    static const char  aud[] =
        "https://example.okta.com/oauth2/aus1abc/v1/token?x=1&y=\xc3\xa9";

    a.pkey = pkey;
    a.alg = alg;
    a.kid = kid;
    a.client_id = "0oa1b2c3d4EXAMPLE";
    a.audience = aud;
    a.scope = NULL;
    a.lifetime = 300;
    a.now = 1700000000;

    err[0] = '\0';
    len = 0;

    s = ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err));
    CHECK(s != NULL);

    if (s == NULL) {
        printf("    %s\n", err);
        return;
    }

    CHECK(len == strlen(s));
    CHECK(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789-_.") == len);

    dot1 = strchr(s, '.');
    dot2 = (dot1 != NULL) ? strchr(dot1 + 1, '.') : NULL;

    CHECK(dot1 != NULL && dot2 != NULL && strchr(dot2 + 1, '.') == NULL);

    if (dot1 == NULL || dot2 == NULL) {
        free(s);
        return;
    }

    /* the header */

    hdr = ngx_http_oauth2_client_test_decode_json(s, (size_t) (dot1 - s));
    CHECK(hdr != NULL && json_is_object(hdr));

    CHECK_STR(json_string_value(json_object_get(hdr, "alg")),
              ngx_http_oauth2_client_alg_name(alg));
    CHECK_STR(json_string_value(json_object_get(hdr, "typ")), "JWT");

    if (kid != NULL) {
        CHECK_STR(json_string_value(json_object_get(hdr, "kid")), kid);
        CHECK(json_object_size(hdr) == 3);

    } else {
        CHECK(json_object_get(hdr, "kid") == NULL);
        CHECK(json_object_size(hdr) == 2);
    }

    json_decref(hdr);

    /* the claims */

    claims = ngx_http_oauth2_client_test_decode_json(dot1 + 1,
                                               (size_t) (dot2 - dot1 - 1));
    CHECK(claims != NULL && json_is_object(claims));
    CHECK(json_object_size(claims) == 6);

    CHECK_STR(json_string_value(json_object_get(claims, "iss")),
              a.client_id);
    CHECK_STR(json_string_value(json_object_get(claims, "sub")),
              a.client_id);
    CHECK_STR(json_string_value(json_object_get(claims, "aud")), aud);
    CHECK(json_is_integer(json_object_get(claims, "iat")));
    CHECK(json_is_integer(json_object_get(claims, "exp")));
    CHECK(json_integer_value(json_object_get(claims, "iat")) == 1700000000);
    CHECK(json_integer_value(json_object_get(claims, "exp"))
          == json_integer_value(json_object_get(claims, "iat")) + 300);

    v = json_string_value(json_object_get(claims, "jti"));
    CHECK(v != NULL);

    if (v != NULL) {
        n = ngx_http_oauth2_client_base64url_decode(buf,
                                    (const unsigned char *) v, strlen(v));
        CHECK(n == NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES);
        (void) snprintf(jti, jtilen, "%s", v);
    }

    json_decref(claims);

    /* the signature, over the first two parts as they are */

    siglen = ngx_http_oauth2_client_base64url_decode(buf,
                                    (const unsigned char *) dot2 + 1,
                                    strlen(dot2 + 1));
    CHECK(siglen != (size_t) -1);
    CHECK(siglen != (size_t) -1
          && ngx_http_oauth2_client_test_verify(pkey, alg,
                                           (const unsigned char *) s,
                                           (size_t) (dot2 - s), buf, siglen));

    free(s);
}


static void
ngx_http_oauth2_client_test_assertion(
    ngx_http_oauth2_client_test_keys_t *keys)
{
    char                                *s;
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                                 jti1[64], jti2[64];
    size_t                               len, n;
    unsigned char                        enc[128];
    ngx_http_oauth2_client_assertion_t   a;

    static const char  hdr[] = "{\"alg\":\"ES256\",\"kid\":\"kid-1\","
                               "\"typ\":\"JWT\"}";

    jti1[0] = '\0';
    jti2[0] = '\0';

    ngx_http_oauth2_client_test_one_assertion(keys->p256, ALG(ES256),
                                              "kid-1", jti1, sizeof(jti1));
    ngx_http_oauth2_client_test_one_assertion(keys->p256, ALG(ES256),
                                              "kid-1", jti2, sizeof(jti2));
    CHECK(jti1[0] != '\0' && strcmp(jti1, jti2) != 0);

    ngx_http_oauth2_client_test_one_assertion(keys->p256, ALG(ES256), NULL,
                                              jti1, sizeof(jti1));
    ngx_http_oauth2_client_test_one_assertion(keys->p384, ALG(ES384), "k2",
                                              jti1, sizeof(jti1));
    ngx_http_oauth2_client_test_one_assertion(keys->p521, ALG(ES512), "k3",
                                              jti1, sizeof(jti1));
    ngx_http_oauth2_client_test_one_assertion(keys->rsa, ALG(RS256), "k4",
                                              jti1, sizeof(jti1));
    ngx_http_oauth2_client_test_one_assertion(keys->rsa, ALG(RS384), NULL,
                                              jti1, sizeof(jti1));
    ngx_http_oauth2_client_test_one_assertion(keys->rsa, ALG(RS512), "k5",
                                              jti1, sizeof(jti1));
    ngx_http_oauth2_client_test_one_assertion(keys->rsa, ALG(PS256), "k6",
                                              jti1, sizeof(jti1));
    ngx_http_oauth2_client_test_one_assertion(keys->rsa, ALG(PS384), NULL,
                                              jti1, sizeof(jti1));
    ngx_http_oauth2_client_test_one_assertion(keys->rsa, ALG(PS512), "k7",
                                              jti1, sizeof(jti1));

    /* the header is compact JSON, members in this order */

    a.pkey = keys->p256;
    a.alg = ALG(ES256);
    a.kid = "kid-1";
    a.client_id = "client";
    a.audience = "https://example.okta.com/oauth2/v1/token";
    a.scope = NULL;
    a.lifetime = 3600;
    a.now = 1700000000;

    s = ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err));
    CHECK(s != NULL);

    n = ngx_http_oauth2_client_base64url_encode(enc,
                            (const unsigned char *) hdr, sizeof(hdr) - 1);
    CHECK(s != NULL && strncmp(s, (char *) enc, n) == 0 && s[n] == '.');

    free(s);

    /* bad input */

    a.lifetime = 0;
    CHECK(ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err))
          == NULL);
    CHECK_STR(err, "assertion lifetime 0 is not in the range 1..3600 "
                   "seconds");

    a.lifetime = 3601;
    CHECK(ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err))
          == NULL);
    CHECK_STR(err, "assertion lifetime 3601 is not in the range 1..3600 "
                   "seconds");

    a.lifetime = 1;
    s = ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err));
    CHECK(s != NULL);
    free(s);

    a.client_id = NULL;
    CHECK(ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err))
          == NULL);
    CHECK_STR(err, "no client_id");

    a.client_id = "\xff\xfe";
    CHECK(ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err))
          == NULL);
    CHECK_PREFIX(err, "could not build the JWT claims");

    a.client_id = "client";
    a.audience = NULL;
    CHECK(ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err))
          == NULL);
    CHECK_STR(err, "no audience (token endpoint)");

    a.audience = "https://example.okta.com/oauth2/v1/token";
    a.pkey = NULL;
    CHECK(ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err))
          == NULL);
    CHECK_STR(err, "no private key");

    a.pkey = keys->p256;
    a.alg = ALG(UNSET);
    CHECK(ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err))
          == NULL);
    CHECK_STR(err, "unknown signing_alg 0");

    a.alg = ALG(RS256);
    CHECK(ngx_http_oauth2_client_assertion_create(&a, &len, err, sizeof(err))
          == NULL);
    CHECK_STR(err, "signing_alg RS256 needs an RSA key, the key is EC P-256");

    CHECK(ngx_http_oauth2_client_assertion_create(NULL, &len, err,
                                                  sizeof(err)) == NULL);

    CHECK(ERR_peek_error() == 0);
}


static void
ngx_http_oauth2_client_test_body(ngx_http_oauth2_client_test_keys_t *keys)
{
    int                                  i;
    char                                *body, *p, *dot;
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                               len, plen, siglen;
    unsigned char                        sig[600];
    ngx_http_oauth2_client_assertion_t   a;

    static const char  *scopes[] = {
        "okta.users.read okta.apps.read", NULL, "", "a:b c"
    };

    static const char  *prefixes[] = {
        "grant_type=client_credentials"
        "&scope=okta.users.read+okta.apps.read"
        "&client_assertion_type="
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=",

        "grant_type=client_credentials"
        "&client_assertion_type="
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=",

        "grant_type=client_credentials"
        "&client_assertion_type="
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=",

        "grant_type=client_credentials"
        "&scope=a%3Ab+c"
        "&client_assertion_type="
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion="
    };

    a.pkey = keys->rsa;
    a.alg = ALG(RS256);
    a.kid = "kid";
    a.client_id = "0oa1b2c3d4EXAMPLE";
    a.audience = "https://example.okta.com/oauth2/v1/token";
    a.lifetime = 60;
    a.now = 1700000000;

    for (i = 0; i < 4; i++) {
        a.scope = scopes[i];
        len = 0;

        body = ngx_http_oauth2_client_token_request_body(&a, &len, err,
                                                         sizeof(err));
        CHECK(body != NULL);

        if (body == NULL) {
            printf("    %s\n", err);
            continue;
        }

        CHECK(len == strlen(body));
        CHECK_PREFIX(body, prefixes[i]);

        plen = strlen(prefixes[i]);

        if (strncmp(body, prefixes[i], plen) != 0) {
            free(body);
            continue;
        }

        /* the assertion after it is signed and complete */

        p = body + plen;
        CHECK(strchr(p, '&') == NULL && strchr(p, '%') == NULL);

        dot = strrchr(p, '.');
        CHECK(dot != NULL && strchr(p, '.') != dot);

        if (dot != NULL) {
            siglen = ngx_http_oauth2_client_base64url_decode(sig,
                                        (const unsigned char *) dot + 1,
                                        strlen(dot + 1));
            CHECK(siglen == 256);
            CHECK(siglen == 256
                  && ngx_http_oauth2_client_test_verify(keys->rsa,
                                         ALG(RS256),
                                         (const unsigned char *) p,
                                         (size_t) (dot - p), sig, siglen));
        }

        OPENSSL_cleanse(body, len);
        free(body);
    }

    a.lifetime = 7200;
    CHECK(ngx_http_oauth2_client_token_request_body(&a, &len, err,
                                                    sizeof(err)) == NULL);
    CHECK_STR(err, "assertion lifetime 7200 is not in the range 1..3600 "
                   "seconds");

    CHECK(ERR_peek_error() == 0);
}


static void
ngx_http_oauth2_client_test_chars(void)
{
    CHECK(ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "eyJ.abc-_~!", 11));
    CHECK(ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "\x21\x7e", 2));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "", 0));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(NULL, 0));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "a b", 3));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "a\rb", 3));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "a\nb", 3));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "a\0b", 3));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "a\tb", 3));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "a\x7f", 2));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "a\x80", 2));
    CHECK(!ngx_http_oauth2_client_token_chars_valid(
                               (const unsigned char *) "\xff", 1));
}


/*
 * The token buffer is exactly as long as the body, as the module gives
 * it, so that valgrind sees any write past it.
 */

/* token_type tells a DPoP-bound token from a Bearer one */

static void
ngx_http_oauth2_client_test_token_type(int line, const char *type, int dpop)
{
    int                              rc;
    char                             body[128], err[128];
    unsigned char                    buf[128];
    ngx_http_oauth2_client_token_t   tok;

    (void) snprintf(body, sizeof(body), "{\"access_token\":\"t\","
                    "\"token_type\":\"%s\",\"expires_in\":60}", type);

    memset(&tok, 0, sizeof(tok));
    tok.access_token = buf;
    tok.dpop = -1;

    rc = ngx_http_oauth2_client_token_parse(200, (unsigned char *) body,
                                            strlen(body), &tok, err,
                                            sizeof(err));

    ngx_http_oauth2_client_test_check(rc == 0 && tok.dpop == dpop, line,
                                      "token_type DPoP or Bearer");
}


static void
ngx_http_oauth2_client_test_parse(int line, unsigned status,
    const char *body, size_t len, int want_rc, const char *want_err,
    const char *want_token, long long want_expires, int want_capped)
{
    int                              rc;
    char                             err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                             prefix[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    unsigned char                   *buf;
    ngx_http_oauth2_client_token_t   tok;

    buf = malloc(len != 0 ? len : 1);
    if (buf == NULL) {
        ngx_http_oauth2_client_test_check(0, line, "malloc()");
        return;
    }

    memset(&tok, 0, sizeof(tok));
    tok.access_token = buf;
    memset(err, 'X', sizeof(err));

    rc = ngx_http_oauth2_client_token_parse(status,
                                            (const unsigned char *) body,
                                            len, &tok, err, sizeof(err));

    ngx_http_oauth2_client_test_check(rc == want_rc, line, "token_parse rc");
    ngx_http_oauth2_client_test_check(memchr(err, '\0', sizeof(err)) != NULL,
                                      line, "err is NUL-terminated");

    if (rc != 0) {
        ngx_http_oauth2_client_test_check(strstr(err, "SECRET") == NULL,
                                          line, "no token in err");
    }

    if (want_err != NULL) {
        if (want_err[0] != '\0' && want_err[strlen(want_err) - 1] == '*') {
            (void) snprintf(prefix, sizeof(prefix), "%.*s",
                            (int) strlen(want_err) - 1, want_err);
            ngx_http_oauth2_client_test_check_prefix(err, prefix, line);

        } else {
            ngx_http_oauth2_client_test_check_str(err, want_err, line);
        }
    }

    if (want_token != NULL) {
        ngx_http_oauth2_client_test_check(
            tok.access_token_len == strlen(want_token)
            && memcmp(tok.access_token, want_token, tok.access_token_len)
               == 0,
            line, "access_token");
        ngx_http_oauth2_client_test_check(tok.expires_in == want_expires,
                                          line, "expires_in");
        ngx_http_oauth2_client_test_check(
            tok.expires_in_capped == want_capped, line, "expires_in_capped");

        if (rc != 0) {
            printf("    error: %s\n", err);
        }
    }

    free(buf);
}


static void
ngx_http_oauth2_client_test_token_parse(void)
{
    char    *body, *p;
    char     want[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t   i;

    /* success */

    PARSE_OK("{\"token_type\":\"Bearer\",\"expires_in\":3600,"
             "\"access_token\":\"eyJraWQ.eyJ2ZXI.c2ln-_~\","
             "\"scope\":\"okta.users.read\"}",
             "eyJraWQ.eyJ2ZXI.c2ln-_~", 3600, 0);
    PARSE_OK(" {\"access_token\":\"t\",\"token_type\":\"bearer\","
             "\"expires_in\":1} \r\n", "t", 1, 0);
    PARSE_OK("{\"access_token\":\"t\",\"token_type\":\"BEARER\","
             "\"expires_in\":86400}", "t", 86400, 0);
    PARSE_OK("{\"access_token\":\"t\",\"token_type\":\"Bearer\","
             "\"expires_in\":86401}", "t", 86400, 1);
    PARSE_OK("{\"access_token\":\"t\",\"token_type\":\"Bearer\","
             "\"expires_in\":9999999999999}", "t", 86400, 1);

    /* escapes shrink the token, which stays in the buffer */
    PARSE_OK("{\"access_token\":\"\\u0041\\/B\",\"token_type\":\"Bearer\","
             "\"expires_in\":60,\"extra\":{\"nested\":[1,2,null]}}",
             "A/B", 60, 0);

    /* the body */

    PARSE_ERR(200, "", "empty body");
    PARSE_ERRN(200, NULL, 0, "empty body");
    PARSE_ERR(200, "not json", "invalid JSON: *");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\"", "invalid JSON: *");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\" \"x\"}", "invalid JSON: *");
    PARSE_ERR(200, "{\"access_token\":SECRET}", "invalid JSON: *");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":60} trailing", "invalid JSON: *");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":60}{}", "invalid JSON: *");
    PARSE_ERR(200, "{\"a\":\"\xff\"}", "invalid JSON: *");
    PARSE_ERR(200, "[1,2]", "not a JSON object");
    PARSE_ERR(200, "\"SECRET\"", "not a JSON object");
    PARSE_ERR(200, "3600", "not a JSON object");
    PARSE_ERR(200, "null", "not a JSON object");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"access_token\":\"x\","
                   "\"token_type\":\"Bearer\",\"expires_in\":60}",
              "duplicate key");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":60,\"expires_in\":60}", "duplicate key");

    /* access_token */

    PARSE_ERR(200, "{\"token_type\":\"Bearer\",\"expires_in\":60}",
              "no access_token");
    PARSE_ERR(200, "{\"access_token\":12,\"token_type\":\"Bearer\","
                   "\"expires_in\":60}", "access_token is not a string");
    PARSE_ERR(200, "{\"access_token\":null,\"token_type\":\"Bearer\","
                   "\"expires_in\":60}", "access_token is not a string");
    PARSE_ERR(200, "{\"access_token\":[\"SECRET\"],\"token_type\":\"Bearer\","
                   "\"expires_in\":60}", "access_token is not a string");
    PARSE_ERR(200, "{\"access_token\":\"\",\"token_type\":\"Bearer\","
                   "\"expires_in\":60}", "access_token is empty");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\\r\\nX-Injected: 1\","
                   "\"token_type\":\"Bearer\",\"expires_in\":60}",
              "access_token has a character not allowed in a header value");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\\n\",\"token_type\":\"Bearer\","
                   "\"expires_in\":60}",
              "access_token has a character not allowed in a header value");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\\r\",\"token_type\":\"Bearer\","
                   "\"expires_in\":60}",
              "access_token has a character not allowed in a header value");
    PARSE_ERR(200, "{\"access_token\":\"SEC\\u0000RET\","
                   "\"token_type\":\"Bearer\",\"expires_in\":60}",
              "access_token has a character not allowed in a header value");
    PARSE_ERR(200, "{\"access_token\":\"SECRET \",\"token_type\":\"Bearer\","
                   "\"expires_in\":60}",
              "access_token has a character not allowed in a header value");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\\u0080\","
                   "\"token_type\":\"Bearer\",\"expires_in\":60}",
              "access_token has a character not allowed in a header value");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\xc3\xa9\","
                   "\"token_type\":\"Bearer\",\"expires_in\":60}",
              "access_token has a character not allowed in a header value");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\\t\",\"token_type\":\"Bearer\","
                   "\"expires_in\":60}",
              "access_token has a character not allowed in a header value");

    /* the longest token that is accepted, and one byte more */

    body = malloc(NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX + 128);
    p = malloc(NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX + 2);
    CHECK(body != NULL && p != NULL);

    if (body != NULL && p != NULL) {
        for (i = 0; i < NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX + 1; i++) {
            p[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36];
        }

        p[NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX] = '\0';
        (void) snprintf(body, NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX + 128,
                        "{\"access_token\":\"%s\",\"token_type\":\"Bearer\","
                        "\"expires_in\":60}", p);
        PARSE_OK(body, p, 60, 0);

        p[NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX] = 'x';
        p[NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX + 1] = '\0';
        (void) snprintf(body, NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX + 128,
                        "{\"access_token\":\"%s\",\"token_type\":\"Bearer\","
                        "\"expires_in\":60}", p);
        PARSE_ERR(200, body, "access_token is longer than 16384 bytes");
    }

    free(body);
    free(p);

    /* token_type */

    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"expires_in\":60}",
              "no token_type");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":1,"
                   "\"expires_in\":60}", "token_type is not a string");
    PARSE_OK("{\"access_token\":\"t\",\"token_type\":\"DPoP\","
             "\"expires_in\":60}", "t", 60, 0);
    PARSE_OK("{\"access_token\":\"t\",\"token_type\":\"dpop\","
             "\"expires_in\":60}", "t", 60, 0);
    ngx_http_oauth2_client_test_token_type(__LINE__, "DPoP", 1);
    ngx_http_oauth2_client_test_token_type(__LINE__, "dPoP", 1);
    ngx_http_oauth2_client_test_token_type(__LINE__, "Bearer", 0);
    ngx_http_oauth2_client_test_token_type(__LINE__, "bearer", 0);
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"DPoP \","
                   "\"expires_in\":60}",
              "token_type \"DPoP \" is neither Bearer nor DPoP");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"mac\","
                   "\"expires_in\":60}",
              "token_type \"mac\" is neither Bearer nor DPoP");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer \","
                   "\"expires_in\":60}",
              "token_type \"Bearer \" is neither Bearer nor DPoP");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bear\\n\","
                   "\"expires_in\":60}",
              "token_type \"Bear?\" is neither Bearer nor DPoP");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"\","
                   "\"expires_in\":60}",
              "token_type \"\" is neither Bearer nor DPoP");

    /* expires_in */

    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\"}",
              "no expires_in");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":\"3600\"}", "expires_in is not an integer");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":3600.0}", "expires_in is not an integer");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":1e3}", "expires_in is not an integer");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":true}", "expires_in is not an integer");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":null}", "expires_in is not an integer");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":0}", "expires_in must be positive");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":-60}", "expires_in must be positive");
    PARSE_ERR(200, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":99999999999999999999999}",
              "invalid JSON: *");

    /* error responses */

    PARSE_ERR(401, "{\"error\":\"invalid_client\",\"error_description\":"
                   "\"The client_assertion token is invalid.\"}",
              "HTTP 401, error \"invalid_client\": \"The client_assertion "
              "token is invalid.\"");
    PARSE_ERR(400, "{\"error\":\"invalid_scope\"}",
              "HTTP 400, error \"invalid_scope\"");
    PARSE_ERR(400, "{\"error_description\":\"no scope\"}",
              "HTTP 400, error_description \"no scope\"");
    PARSE_ERR(429, "{\"errorCode\":\"E0000047\",\"errorSummary\":"
                   "\"API call exceeded rate limit due to too many "
                   "requests.\",\"errorLink\":\"E0000047\","
                   "\"errorId\":\"oae1\",\"errorCauses\":[]}",
              "HTTP 429, errorCode \"E0000047\": \"API call exceeded rate "
              "limit due to too many requests.\"");
    PARSE_ERR(429, "{\"errorCode\":\"E0000047\"}",
              "HTTP 429, errorCode \"E0000047\"");
    PARSE_ERR(403, "{\"errorSummary\":\"Forbidden\"}",
              "HTTP 403, errorSummary \"Forbidden\"");
    PARSE_ERR(502, "<html><body>Bad Gateway</body></html>",
              "HTTP 502, non-JSON body");
    PARSE_ERR(500, "", "HTTP 500, non-JSON body");
    PARSE_ERR(503, "{\"status\":\"down\"}", "HTTP 503");
    PARSE_ERR(503, "[\"error\"]", "HTTP 503");
    PARSE_ERR(400, "{\"error\":1,\"error_description\":\"x\"}",
              "HTTP 400, error_description \"x\"");
    PARSE_ERR(201, "{\"access_token\":\"SECRET\",\"token_type\":\"Bearer\","
                   "\"expires_in\":60}", "HTTP 201");

    /* what the server says is cleaned */

    PARSE_ERR(401, "{\"error\":\"invalid_client\",\"error_description\":"
                   "\"bad\\u0001thing\\r\\nX: y\\u001b[31m\"}",
              "HTTP 401, error \"invalid_client\": \"bad?thing??X: y?[31m\"");
    PARSE_ERR(400, "{\"error\":\"x\\u0000y\",\"error_description\":"
                   "\"caf\xc3\xa9\\t\\u007f\"}",
              "HTTP 400, error \"x?y\": \"caf????\"");

    body = malloc(1024);
    CHECK(body != NULL);

    if (body != NULL) {
        (void) snprintf(body, 1024, "{\"error\":\"%0300d\","
                        "\"error_description\":\"%0300d\"}", 1, 2);
        (void) snprintf(want, sizeof(want), "HTTP 400, error \"%0200d\": "
                        "\"%0200d\"", 0, 0);
        PARSE_ERR(400, body, want);

        (void) snprintf(body, 1024, "{\"access_token\":\"SECRET\","
                        "\"token_type\":\"%0300d\",\"expires_in\":60}", 7);
        (void) snprintf(want, sizeof(want), "token_type \"%0200d\" is neither "
                        "Bearer nor DPoP", 0);
        PARSE_ERR(200, body, want);

        free(body);
    }

    /* a token in an error response stays out of the message */
    PARSE_ERR(500, "{\"access_token\":\"SECRET\"}", "HTTP 500");
    PARSE_ERR(400, "{\"error\":\"invalid_client\",\"error\":\"SECRET\"}",
              "HTTP 400, non-JSON body");
}


/*
 * The token request in its two layers: parameters in the order they are
 * added, each form-encoded; the credentials layer signs a new assertion.
 */

static void
ngx_http_oauth2_client_test_layers(ngx_http_oauth2_client_test_keys_t *keys)
{
    int                                     i;
    char                                    err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                                   *p;
    size_t                                  n;
    ngx_http_oauth2_client_assertion_t      a;
    ngx_http_oauth2_client_token_request_t  tr;

    ngx_http_oauth2_client_token_request_init(&tr);

    CHECK(ngx_http_oauth2_client_token_request_param(&tr, "a",
                                    (const unsigned char *) "x y&z", 5, err,
                                    sizeof(err))
          == 0);
    CHECK(ngx_http_oauth2_client_token_request_param(&tr, "b",
                                    (const unsigned char *) "", 0, err,
                                    sizeof(err))
          == 0);
    CHECK(tr.len == strlen("a=x+y%26z&b="));
    CHECK(tr.body != NULL && memcmp(tr.body, "a=x+y%26z&b=", tr.len) == 0);
    CHECK(tr.body != NULL && tr.body[tr.len] == '\0');

    /* the body grows past its first block: nothing is lost on the way */

    for (i = 0; i < 200; i++) {
        CHECK(ngx_http_oauth2_client_token_request_param(&tr, "param",
                                    (const unsigned char *) "value", 5, err,
                                    sizeof(err))
              == 0);
    }

    CHECK(tr.len == strlen("a=x+y%26z&b=") + 200 * strlen("&param=value"));
    CHECK(tr.size > tr.len);

    ngx_http_oauth2_client_token_request_free(&tr);
    CHECK(tr.body == NULL && tr.len == 0 && tr.nheaders == 0);

    /* grant, then credentials: the order of the whole body */

    CHECK(ngx_http_oauth2_client_token_request_grant(&tr, "okta.users.read",
                                                     err, sizeof(err))
          == 0);
    CHECK_STR((char *) tr.body,
              "grant_type=client_credentials&scope=okta.users.read");

    a.pkey = keys->p256;
    a.alg = ALG(ES256);
    a.kid = NULL;
    a.client_id = "0oa1b2c3d4EXAMPLE";
    a.audience = "https://example.okta.com/oauth2/v1/token";
    a.scope = NULL;
    a.lifetime = 60;
    a.now = 1700000000;

    CHECK(ngx_http_oauth2_client_token_request_private_key_jwt(&tr, &a, err,
                                                               sizeof(err))
          == 0);
    CHECK_PREFIX((char *) tr.body,
                 "grant_type=client_credentials&scope=okta.users.read"
                 "&client_assertion_type="
                 "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type"
                 "%3Ajwt-bearer&client_assertion=ey");

    p = strstr((char *) tr.body, "&client_assertion=");
    n = (p != NULL) ? strlen(p + sizeof("&client_assertion=") - 1) : 0;
    CHECK(n > 100);

    ngx_http_oauth2_client_token_request_free(&tr);

    /* a credentials layer that fails leaves the request to be freed */

    CHECK(ngx_http_oauth2_client_token_request_grant(&tr, NULL, err,
                                                     sizeof(err))
          == 0);
    CHECK_STR((char *) tr.body, "grant_type=client_credentials");

    a.lifetime = 0;
    CHECK(ngx_http_oauth2_client_token_request_private_key_jwt(&tr, &a, err,
                                                               sizeof(err))
          == -1);
    CHECK_STR(err, "assertion lifetime 0 is not in the range 1..3600 "
                   "seconds");
    CHECK_STR((char *) tr.body, "grant_type=client_credentials");

    ngx_http_oauth2_client_token_request_free(&tr);

    CHECK(ngx_http_oauth2_client_token_request_body(NULL, &n, err,
                                                    sizeof(err))
          == NULL);
    CHECK_STR(err, "no assertion parameters");

    CHECK(ERR_peek_error() == 0);
}


/* an error response leaves its OAuth 2.0 fields for the backoff to read */

static void
ngx_http_oauth2_client_test_oauth_error(void)
{
    char                             err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                             big[600];
    unsigned char                    buf[16];
    ngx_http_oauth2_client_token_t   tok;

    static const char  body[] =
        "{\"error\":\"invalid_dpop_proof\","
        "\"error_description\":\"DPoP \\r\\nproof required\"}";

    static const char  okta[] =
        "{\"errorCode\":\"E0000047\",\"errorSummary\":\"rate limit\"}";

    tok.access_token = buf;

    CHECK(ngx_http_oauth2_client_token_parse(400,
                                             (const unsigned char *) body,
                                             sizeof(body) - 1, &tok, err,
                                             sizeof(err))
          == -1);
    CHECK_STR(tok.error, "invalid_dpop_proof");
    CHECK_STR(tok.error_description, "DPoP ??proof required");
    CHECK_STR(tok.error_code, "");
    CHECK_STR(tok.error_summary, "");

    /*
     * no OAuth 2.0 fields: none kept, from a previous call either; Okta's
     * errorCode and errorSummary apart
     */

    CHECK(ngx_http_oauth2_client_token_parse(429,
                                             (const unsigned char *) okta,
                                             sizeof(okta) - 1, &tok, err,
                                             sizeof(err))
          == -1);
    CHECK_STR(tok.error, "");
    CHECK_STR(tok.error_description, "");
    CHECK_STR(tok.error_code, "E0000047");
    CHECK_STR(tok.error_summary, "rate limit");

    /* a long error is cut like every value from the server */

    memset(big, 'e', sizeof(big));
    memcpy(big, "{\"error\":\"", 10);
    memcpy(big + sizeof(big) - 2, "\"}", 2);

    CHECK(ngx_http_oauth2_client_token_parse(401,
                                             (const unsigned char *) big,
                                             sizeof(big), &tok, err,
                                             sizeof(err))
          == -1);
    CHECK(strlen(tok.error) == NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_MAX);

    /* a non-200 answer needs no token buffer */

    tok.access_token = NULL;
    CHECK(ngx_http_oauth2_client_token_parse(500,
                                             (const unsigned char *) body,
                                             sizeof(body) - 1, &tok, err,
                                             sizeof(err))
          == -1);
    CHECK_STR(tok.error, "invalid_dpop_proof");
}


static void
ngx_http_oauth2_client_test_fingerprint(void)
{
    char  hex[9];

    /* SHA-256("abc") = ba7816bf... */

    ngx_http_oauth2_client_token_fingerprint((const unsigned char *) "abc",
                                             3, hex);
    CHECK_STR(hex, "ba7816bf");
}


static void
ngx_http_oauth2_client_test_errlen(void)
{
    char                             err[64];
    unsigned char                    buf[256];
    ngx_http_oauth2_client_token_t   tok;

    static const char  body[] =
        "{\"error\":\"invalid_client\",\"error_description\":\"a long "
        "description of what went wrong\"}";

    tok.access_token = buf;

    memset(err, 'X', sizeof(err));
    CHECK(ngx_http_oauth2_client_token_parse(401,
                                             (const unsigned char *) body,
                                             sizeof(body) - 1, &tok, err, 10)
          == -1);
    CHECK_STR(err, "HTTP 401,");
    CHECK(err[10] == 'X');

    memset(err, 'X', sizeof(err));
    CHECK(ngx_http_oauth2_client_token_parse(401,
                                             (const unsigned char *) body,
                                             sizeof(body) - 1, &tok, err, 1)
          == -1);
    CHECK(err[0] == '\0' && err[1] == 'X');

    memset(err, 'X', sizeof(err));
    CHECK(ngx_http_oauth2_client_token_parse(401,
                                             (const unsigned char *) body,
                                             sizeof(body) - 1, &tok, err, 0)
          == -1);
    CHECK(err[0] == 'X');

    CHECK(ngx_http_oauth2_client_token_parse(200,
                                             (const unsigned char *) "",
                                             0, &tok, NULL, 0) == -1);

    memset(err, 'X', sizeof(err));
    CHECK(ngx_http_oauth2_client_key_parse((const unsigned char *) "x", 1,
                                           err, 8) == NULL);
    CHECK_STR(err, "no PEM ");
    CHECK(err[7] == '\0' && err[8] == 'X');

    memset(err, 'X', sizeof(err));
    CHECK(ngx_http_oauth2_client_key_load("/nonexistent/key.pem", err, 16)
          == NULL);
    CHECK(err[15] == '\0' && err[16] == 'X');

    CHECK(ERR_peek_error() == 0);
}


int
main(void)
{
    ngx_http_oauth2_client_test_keys_t  keys;

    memset(&keys, 0, sizeof(keys));

    ngx_http_oauth2_client_test_alg();
    ngx_http_oauth2_client_test_base64url();
    ngx_http_oauth2_client_test_form();
    ngx_http_oauth2_client_test_keys(&keys);

    if (keys.rsa != NULL && keys.p256 != NULL && keys.p384 != NULL
        && keys.p521 != NULL)
    {
        ngx_http_oauth2_client_test_key_load(keys.p384);
        ngx_http_oauth2_client_test_key_algs(&keys);
        ngx_http_oauth2_client_test_sign(&keys);
        ngx_http_oauth2_client_test_assertion(&keys);
        ngx_http_oauth2_client_test_body(&keys);
        ngx_http_oauth2_client_test_layers(&keys);
    }

    ngx_http_oauth2_client_test_oauth_error();
    ngx_http_oauth2_client_test_fingerprint();
    ngx_http_oauth2_client_test_chars();
    ngx_http_oauth2_client_test_token_parse();
    ngx_http_oauth2_client_test_errlen();

    EVP_PKEY_free(keys.rsa);
    EVP_PKEY_free(keys.p256);
    EVP_PKEY_free(keys.p384);
    EVP_PKEY_free(keys.p521);

    printf("%d passed, %d failed\n", ngx_http_oauth2_client_test_passed,
           ngx_http_oauth2_client_test_failed);

    return ngx_http_oauth2_client_test_failed != 0;
}
