
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * DPoP proofs: the header (typ, alg, the public JWK CryptX wrote), the
 * claims read back with jansson, signatures verified with OpenSSL's
 * verify calls on the PEM key openssl made, jti uniqueness, the JSON
 * escaping of htu, ath against RFC 9449's example, the DPoP-Nonce
 * grammar, and WWW-Authenticate challenges.  Crypt::JWT verifies proofs
 * independently in t/unit/verify.pl.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_encode.h"
#include "ngx_http_oauth2_client_key.h"
#include "ngx_http_oauth2_client_dpop.h"
#include "ngx_http_oauth2_client_challenge.h"
#include "test_util.h"


#define ALG(name)  NGX_HTTP_OAUTH2_CLIENT_ALG_ ## name

#define S(s)  (const unsigned char *) (s), sizeof(s) - 1

#define NPROOFS  1000


static void ngx_http_oauth2_client_test_dpop_key(const char *name, int alg,
    const char *algname);
static json_t *ngx_http_oauth2_client_test_dpop_check(
    ngx_http_oauth2_client_dpop_t *dpop, EVP_PKEY *pkey,
    const char *algname, const char *proof);
static void ngx_http_oauth2_client_test_dpop_claims(
    ngx_http_oauth2_client_dpop_t *dpop, EVP_PKEY *pkey);
static void ngx_http_oauth2_client_test_dpop_jti(
    ngx_http_oauth2_client_dpop_t *dpop);
static void ngx_http_oauth2_client_test_dpop_refusals(
    ngx_http_oauth2_client_dpop_t *dpop);
static void ngx_http_oauth2_client_test_dpop_escape(void);
static void ngx_http_oauth2_client_test_dpop_nonce(void);
static void ngx_http_oauth2_client_test_dpop_misc(void);
static void ngx_http_oauth2_client_test_challenge_one(const char *value,
    int want_rc, int found, int use, const char *error, const char *desc);
static void ngx_http_oauth2_client_test_challenge(void);
static int ngx_http_oauth2_client_test_strcmp(const void *a, const void *b);


/*
 * A proof checked as a verifier would: three parts, the header exactly
 * {"typ":"dpop+jwt","alg":...,"jwk":...} with our public JWK, the
 * signature by the key; returns the claims
 */

static json_t *
ngx_http_oauth2_client_test_dpop_check(ngx_http_oauth2_client_dpop_t *dpop,
    EVP_PKEY *pkey, const char *algname, const char *proof)
{
    char           *header, *claims, *jwk, *want;
    size_t          siglen, signed_len, n;
    json_t         *json;
    json_error_t    jerr;
    unsigned char   sig[1024];

    if (ngx_http_oauth2_client_test_jws_split(proof, &header, &claims, sig,
                                              &siglen, &signed_len)
        != 0)
    {
        CHECK(0);
        return NULL;
    }

    jwk = ngx_http_oauth2_client_jwk_public(pkey, &n, NULL, 0);
    want = malloc(n + 64);

    if (jwk != NULL && want != NULL) {
        (void) snprintf(want, n + 64,
                        "{\"typ\":\"dpop+jwt\",\"alg\":\"%s\",\"jwk\":%s}",
                        algname, jwk);
        CHECK_STR(header, want);
    }

    CHECK(ngx_http_oauth2_client_test_verify(pkey, algname,
                                             (const unsigned char *) proof,
                                             signed_len, sig, siglen));

    /* ES signatures are r||s of the curve's size */
    CHECK(siglen == dpop->sig_max);

    json = json_loads(claims, JSON_REJECT_DUPLICATES, &jerr);
    CHECK(json != NULL);

    free(jwk);
    free(want);
    free(header);
    free(claims);

    return json;
}


static void
ngx_http_oauth2_client_test_dpop_key(const char *name, int alg,
    const char *algname)
{
    char                                   err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                                   file[64];
    char                                  *jkt;
    size_t                                 size, len;
    json_t                                *json;
    EVP_PKEY                              *pkey;
    unsigned char                         *buf;
    ngx_http_oauth2_client_dpop_t          dpop;
    ngx_http_oauth2_client_dpop_claims_t   c;

    (void) snprintf(file, sizeof(file), "%s.pem", name);
    pkey = ngx_http_oauth2_client_test_pem_key(file);
    if (pkey == NULL) {
        return;
    }

    err[0] = '\0';

    CHECK(ngx_http_oauth2_client_dpop_init(&dpop, pkey, alg, err,
                                           sizeof(err)) == 0);
    CHECK_STR(err, "");

    /* the thumbprint is CryptX's */
    (void) snprintf(file, sizeof(file), "%s.jkt", name);
    jkt = ngx_http_oauth2_client_test_read_line(file);
    CHECK_STR(dpop.jkt, jkt);
    free(jkt);

    memset(&c, 0, sizeof(c));
    c.htm = (const unsigned char *) "POST";
    c.htm_len = 4;
    c.htu = (const unsigned char *) "https://example.okta.com/oauth2/v1/token";
    c.htu_len = strlen((const char *) c.htu);
    c.iat = 1700000000;

    size = ngx_http_oauth2_client_dpop_proof_size(&dpop, &c);
    buf = malloc(size);
    CHECK(size != 0 && buf != NULL);

    if (buf != NULL) {
        memset(buf, 'X', size);

        CHECK(ngx_http_oauth2_client_dpop_proof(&dpop, &c, buf, size, &len,
                                                err, sizeof(err)) == 0);
        CHECK(len < size && buf[len] == '\0'
              && strlen((char *) buf) == len);

        json = ngx_http_oauth2_client_test_dpop_check(&dpop, pkey, algname,
                                                      (char *) buf);
        CHECK(json != NULL && json_object_size(json) == 4);
        CHECK_STR(json_string_value(json_object_get(json, "htm")), "POST");
        CHECK(json_integer_value(json_object_get(json, "iat"))
              == 1700000000);
        json_decref(json);
        free(buf);
    }

    /* the caller's reference stays valid after cleanup */

    ngx_http_oauth2_client_dpop_cleanup(&dpop);
    CHECK(dpop.pkey == NULL && dpop.header == NULL);
    CHECK(EVP_PKEY_get_bits(pkey) > 0);

    EVP_PKEY_free(pkey);
}


static void
ngx_http_oauth2_client_test_dpop_claims(ngx_http_oauth2_client_dpop_t *dpop,
    EVP_PKEY *pkey)
{
    char                                   err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                                   ath[NGX_HTTP_OAUTH2_CLIENT_ATH_LEN
                                               + 1];
    char                                  *htu;
    size_t                                 size, len, i;
    json_t                                *json;
    const char                            *jti;
    unsigned char                         *buf;
    unsigned char                          raw[32];
    ngx_http_oauth2_client_dpop_claims_t   c;

    static const char  token[] = "eyJhbGciOiJSUzI1NiJ9.access-token.sig";

    /* a resource request: ath and a server's nonce, an htu to escape */

    CHECK(ngx_http_oauth2_client_dpop_ath(S(token), ath) == 0);

    memset(&c, 0, sizeof(c));
    c.htm = (const unsigned char *) "GET";
    c.htm_len = 3;
    c.htu = (const unsigned char *)
            "https://api.example.com/a\"b\\c/\xc3\xa9\t\x01/\xf0\x9f\x98\x80";
    c.htu_len = strlen((const char *) c.htu);
    c.nonce = (const unsigned char *) "eyJ7S_zG.eyJH0-Z.HX4w-7v~!#[]";
    c.nonce_len = strlen((const char *) c.nonce);
    c.ath = (const unsigned char *) ath;
    c.ath_len = strlen(ath);
    c.iat = 1;

    size = ngx_http_oauth2_client_dpop_proof_size(dpop, &c);
    buf = malloc(size);

    if (buf == NULL) {
        CHECK(buf != NULL);
        return;
    }

    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &c, buf, size, &len, err,
                                            sizeof(err)) == 0);

    json = ngx_http_oauth2_client_test_dpop_check(dpop, pkey, "ES256",
                                                  (char *) buf);
    free(buf);

    if (json == NULL) {
        return;
    }

    CHECK(json_object_size(json) == 6);
    CHECK_STR(json_string_value(json_object_get(json, "htm")), "GET");
    CHECK_STR(json_string_value(json_object_get(json, "htu")),
              (const char *) c.htu);
    CHECK_STR(json_string_value(json_object_get(json, "nonce")),
              (const char *) c.nonce);
    /* printf %s "$token" | openssl dgst -sha256 -binary | base64url */
    CHECK_STR(json_string_value(json_object_get(json, "ath")),
              "PDqKKSIJ0HXbjbv8jI6_XADX1fxNuaJpbTUzLhlcISA");
    CHECK(json_integer_value(json_object_get(json, "iat")) == 1);

    /* 128 random bits, base64url */

    jti = json_string_value(json_object_get(json, "jti"));
    CHECK(jti != NULL && strlen(jti) == 22
          && ngx_http_oauth2_client_base64url_decode(raw,
                                   (const unsigned char *) jti, 22) == 16);
    json_decref(json);

    /* a long htu: the claims no longer fit the stack buffer */

    htu = malloc(NGX_HTTP_OAUTH2_CLIENT_HTU_MAX + 1);
    if (htu == NULL) {
        return;
    }

    memcpy(htu, "https://a/", 10);

    for (i = 10; i < NGX_HTTP_OAUTH2_CLIENT_HTU_MAX; i++) {
        htu[i] = (char) ('a' + i % 26);
    }

    htu[i] = '\0';

    c.htu = (unsigned char *) htu;
    c.htu_len = i;
    c.nonce = NULL;
    c.ath = NULL;

    size = ngx_http_oauth2_client_dpop_proof_size(dpop, &c);
    buf = malloc(size);

    if (buf != NULL) {
        CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &c, buf, size, &len,
                                                err, sizeof(err)) == 0);
        json = ngx_http_oauth2_client_test_dpop_check(dpop, pkey, "ES256",
                                                      (char *) buf);
        CHECK(json != NULL && json_object_size(json) == 4);
        CHECK_STR(json_string_value(json_object_get(json, "htu")), htu);
        json_decref(json);
        free(buf);
    }

    /* one byte more is refused */

    c.htu_len++;
    htu[c.htu_len - 1] = 'x';
    CHECK(ngx_http_oauth2_client_dpop_proof_size(dpop, &c) == 0);

    free(htu);
}


static int
ngx_http_oauth2_client_test_strcmp(const void *a, const void *b)
{
    return strcmp(*(char * const *) a, *(char * const *) b);
}


/* every proof has its own jti */

static void
ngx_http_oauth2_client_test_dpop_jti(ngx_http_oauth2_client_dpop_t *dpop)
{
    int                                    i, dups;
    char                                  *jtis[NPROOFS], *p, *q;
    size_t                                 len;
    unsigned char                          buf[1024];
    ngx_http_oauth2_client_dpop_claims_t   c;

    memset(&c, 0, sizeof(c));
    c.htm = (const unsigned char *) "GET";
    c.htm_len = 3;
    c.htu = (const unsigned char *) "https://api.example.com/";
    c.htu_len = strlen((const char *) c.htu);
    c.iat = 1700000000;

    CHECK(ngx_http_oauth2_client_dpop_proof_size(dpop, &c) <= sizeof(buf));

    for (i = 0; i < NPROOFS; i++) {
        jtis[i] = NULL;

        if (ngx_http_oauth2_client_dpop_proof(dpop, &c, buf, sizeof(buf),
                                              &len, NULL, 0)
            != 0)
        {
            continue;
        }

        /* the claims part, which holds the jti */
        p = strchr((char *) buf, '.') + 1;
        q = strchr(p, '.');
        *q = '\0';
        jtis[i] = strdup(p);
    }

    qsort(jtis, NPROOFS, sizeof(char *), ngx_http_oauth2_client_test_strcmp);

    dups = 0;

    for (i = 0; i < NPROOFS; i++) {
        if (jtis[i] == NULL
            || (i > 0 && jtis[i - 1] != NULL && strcmp(jtis[i - 1], jtis[i])
                                                == 0))
        {
            dups++;
        }
    }

    CHECK(dups == 0);

    for (i = 0; i < NPROOFS; i++) {
        free(jtis[i]);
    }
}


static void
ngx_http_oauth2_client_test_dpop_refusals(ngx_http_oauth2_client_dpop_t *dpop)
{
    char                                   err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                                 len, size;
    unsigned char                          buf[1024];
    ngx_http_oauth2_client_dpop_claims_t   c, bad;

    memset(&c, 0, sizeof(c));
    c.htm = (const unsigned char *) "POST";
    c.htm_len = 4;
    c.htu = (const unsigned char *) "https://a/token";
    c.htu_len = 15;

    size = ngx_http_oauth2_client_dpop_proof_size(dpop, &c);

    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &c, buf, size - 1, &len,
                                            err, sizeof(err)) == -1);
    CHECK_ERR(err, "DPoP proof buffer of");
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &c, buf, size, &len, err,
                                            sizeof(err)) == 0);

    bad = c;
    bad.htu = (const unsigned char *) "https://a/\xc3";
    bad.htu_len = 11;
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &bad, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);
    CHECK_ERR(err, "DPoP htu is not valid UTF-8 or holds a NUL");
    CHECK(ngx_http_oauth2_client_dpop_proof_size(dpop, &bad) == 0);

    bad = c;
    bad.htu_len = 16;
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &bad, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);
    CHECK_ERR(err, "holds a NUL");

    bad = c;
    bad.htm_len = 0;
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &bad, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);
    CHECK_ERR(err, "DPoP htm of 0");

    bad = c;
    bad.htu = NULL;
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &bad, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);

    bad = c;
    bad.nonce = (const unsigned char *) "a\"b";
    bad.nonce_len = 3;
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &bad, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);
    CHECK_ERR(err, "invalid DPoP nonce");

    bad = c;
    bad.nonce = (const unsigned char *) "";
    bad.nonce_len = 0;
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &bad, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);

    bad = c;
    bad.ath = (const unsigned char *) "short";
    bad.ath_len = 5;
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &bad, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);
    CHECK_ERR(err, "DPoP ath of 5 characters");

    bad.ath = (const unsigned char *)
              "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQE=";
    bad.ath_len = 43;
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, &bad, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);
    CHECK_ERR(err, "DPoP ath is not base64url");

    CHECK(ngx_http_oauth2_client_dpop_proof(NULL, &c, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);
    CHECK(ngx_http_oauth2_client_dpop_proof(dpop, NULL, buf, sizeof(buf),
                                            &len, err, sizeof(err)) == -1);
    CHECK(ngx_http_oauth2_client_dpop_proof_size(NULL, &c) == 0);
}


static void
ngx_http_oauth2_client_test_dpop_escape(void)
{
    size_t          n;
    unsigned char   out[64];

    static const char  in[] = "a\"b\\c\n\r\t\b\f\x01\x1f\x7f \xc3\xa9/";
    static const char  want[] =
        "a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f \xc3\xa9/";

    n = ngx_http_oauth2_client_dpop_escape_len(S(in));
    CHECK(n == sizeof(want) - 1);
    CHECK(ngx_http_oauth2_client_dpop_escape(out, S(in)) == n);
    CHECK(n <= sizeof(out) && memcmp(out, want, n) == 0);

    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("")) == 0);

    /* UTF-8: valid sequences of every length; the invalid ones refused */

    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xc2\x80")) == 2);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xe0\xa0\x80")) == 3);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xed\x9f\xbf")) == 3);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xf0\x9f\x98\x80"))
          == 4);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xf4\x8f\xbf\xbf"))
          == 4);

    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\x80")) == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xc0\x80"))
          == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xc1\xbf"))
          == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xe0\x80\x80"))
          == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xed\xa0\x80"))
          == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xf0\x80\x80\x80"))
          == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xf4\x90\x80\x80"))
          == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xf5\x80\x80\x80"))
          == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xe2\x82"))
          == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("\xe2\x82\x41"))
          == (size_t) -1);
    CHECK(ngx_http_oauth2_client_dpop_escape_len(S("a\0b")) == (size_t) -1);
}


static void
ngx_http_oauth2_client_test_dpop_nonce(void)
{
    int            c, ok;
    unsigned char  b, big[NGX_HTTP_OAUTH2_CLIENT_NONCE_MAX + 1];

    /* NQCHAR = %x21 / %x23-5B / %x5D-7E, byte by byte */

    ok = 1;

    for (c = 0; c < 256; c++) {
        b = (unsigned char) c;

        if (ngx_http_oauth2_client_dpop_nonce_valid(&b, 1)
            != ((c == 0x21) || (c >= 0x23 && c <= 0x5b)
                || (c >= 0x5d && c <= 0x7e)))
        {
            ok = 0;
        }
    }

    CHECK(ok);

    CHECK(ngx_http_oauth2_client_dpop_nonce_valid(
              S("eyJ7S_zG.eyJH0-Z.HX4w-7v")));
    CHECK(!ngx_http_oauth2_client_dpop_nonce_valid(S("")));
    CHECK(!ngx_http_oauth2_client_dpop_nonce_valid(S("a b")));
    CHECK(!ngx_http_oauth2_client_dpop_nonce_valid(S("ab\r\n")));
    CHECK(!ngx_http_oauth2_client_dpop_nonce_valid(NULL, 3));

    memset(big, 'n', sizeof(big));
    CHECK(ngx_http_oauth2_client_dpop_nonce_valid(big, sizeof(big) - 1));
    CHECK(!ngx_http_oauth2_client_dpop_nonce_valid(big, sizeof(big)));
}


static void
ngx_http_oauth2_client_test_dpop_misc(void)
{
    char                            err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                            ath[NGX_HTTP_OAUTH2_CLIENT_ATH_LEN + 1];
    EVP_PKEY                       *a, *b, *pub;
    ngx_http_oauth2_client_dpop_t   dpop;

    /* RFC 9449, section 7.1, figure 13 */

    CHECK(ngx_http_oauth2_client_dpop_ath(
              S("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"), ath) == 0);
    CHECK_STR(ath, "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    CHECK(ngx_http_oauth2_client_dpop_ath(NULL, 0, ath) == -1);

    CHECK(ngx_http_oauth2_client_dpop_htu_len(S("https://a/b?c#d")) == 11);
    CHECK(ngx_http_oauth2_client_dpop_htu_len(S("https://a/b#c?d")) == 11);
    CHECK(ngx_http_oauth2_client_dpop_htu_len(S("https://a/b")) == 11);
    CHECK(ngx_http_oauth2_client_dpop_htu_len(S("?")) == 0);
    CHECK(ngx_http_oauth2_client_dpop_htu_len(NULL, 5) == 0);

    /* generated keys: P-256, different each time, usable */

    a = ngx_http_oauth2_client_dpop_key_generate(err, sizeof(err));
    b = ngx_http_oauth2_client_dpop_key_generate(err, sizeof(err));
    CHECK(a != NULL && b != NULL && EVP_PKEY_eq(a, b) != 1);
    CHECK(ngx_http_oauth2_client_key_default_alg(a, NULL, 0) == ALG(ES256));
    CHECK(ngx_http_oauth2_client_dpop_init(&dpop, a, ALG(UNSET), err,
                                           sizeof(err)) == 0);
    CHECK(dpop.alg == ALG(ES256) && dpop.sig_max == 64);
    ngx_http_oauth2_client_dpop_cleanup(&dpop);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);

    /* refusals of dpop_init() */

    pub = ngx_http_oauth2_client_test_pub_key("ec1.pub.pem");
    CHECK(ngx_http_oauth2_client_dpop_init(&dpop, pub, ALG(UNSET), err,
                                           sizeof(err)) == -1);
    CHECK_ERR(err, "the DPoP key cannot sign (a public key?)");
    CHECK(dpop.pkey == NULL && dpop.header == NULL);
    EVP_PKEY_free(pub);

    a = ngx_http_oauth2_client_test_pem_key("ec1.pem");
    CHECK(ngx_http_oauth2_client_dpop_init(&dpop, a, ALG(ES384), err,
                                           sizeof(err)) == -1);
    CHECK_ERR(err, "signing_alg ES384 needs an EC P-384 key");
    CHECK(ngx_http_oauth2_client_dpop_init(&dpop, a, ALG(RS256), err,
                                           sizeof(err)) == -1);
    CHECK_ERR(err, "needs an RSA key");
    EVP_PKEY_free(a);

    CHECK(ngx_http_oauth2_client_dpop_init(&dpop, NULL, ALG(UNSET), err,
                                           sizeof(err)) == -1);
    CHECK_ERR(err, "no DPoP key");
    CHECK(ngx_http_oauth2_client_dpop_init(NULL, NULL, ALG(UNSET), err,
                                           sizeof(err)) == -1);
    ngx_http_oauth2_client_dpop_cleanup(NULL);
}


static void
ngx_http_oauth2_client_test_challenge_one(const char *value, int want_rc,
    int found, int use, const char *error, const char *desc)
{
    int                                 rc;
    ngx_http_oauth2_client_challenge_t  ch;

    rc = ngx_http_oauth2_client_challenge_parse((const unsigned char *) value,
                                                strlen(value), "DPoP", &ch);

    if (rc != want_rc || (int) ch.found != found
        || (int) ch.use_dpop_nonce != use)
    {
        printf("challenge \"%s\": rc %d found %d use_dpop_nonce %d\n",
               value, rc, ch.found, ch.use_dpop_nonce);
    }

    CHECK(rc == want_rc);
    CHECK((int) ch.found == found);
    CHECK((int) ch.use_dpop_nonce == use);

    if (error != NULL) {
        CHECK_STR(ch.error, error);
    }

    if (desc != NULL) {
        CHECK_STR(ch.error_description, desc);
    }
}


static void
ngx_http_oauth2_client_test_challenge(void)
{
    char                                long_error[200];
    ngx_http_oauth2_client_challenge_t  ch;

    /* RFC 9449, figure 20 */

    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"use_dpop_nonce\", error_description=\"Resource server "
        "requires nonce in DPoP proof\"", 0, 1, 1, "use_dpop_nonce",
        "Resource server requires nonce in DPoP proof");

    /* other challenges, other parameters, before and after */

    ngx_http_oauth2_client_test_challenge_one(
        "Bearer realm=\"api\", DPoP algs=\"ES256 PS256\", "
        "error=\"use_dpop_nonce\"", 0, 1, 1, "use_dpop_nonce", "");
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP algs=\"ES256\", error=\"use_dpop_nonce\", Bearer "
        "error=\"invalid_token\"", 0, 1, 1, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "Basic dXNlcjpwYXNz==, DPoP error=\"use_dpop_nonce\"", 0, 1, 1,
        NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
        "DPoP realm=\"simple\"", 0, 1, 0, "", NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "Bearer error=\"use_dpop_nonce\"", 0, 0, 0, "", NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "Bearer, DPoP", 0, 1, 0, "", NULL);

    /* tokens, case, white space, empty list elements, escapes */

    ngx_http_oauth2_client_test_challenge_one(
        "dpop error=use_dpop_nonce", 0, 1, 1, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPOP Error=\"use_dpop_nonce\"", 0, 1, 1, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"USE_DPOP_NONCE\"", 0, 1, 0, "USE_DPOP_NONCE", NULL);
    ngx_http_oauth2_client_test_challenge_one(
        " , DPoP \t error = \"use_dpop_nonce\" ,, ", 0, 1, 1, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"use_dpop_nonc\\e\"", 0, 1, 1, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"use_\\\"dpop\\\"_nonce\"", 0, 1, 0,
        "use_\"dpop\"_nonce", NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error_description=\"caf\xc3\xa9\", error=use_dpop_nonce", 0, 1,
        1, NULL, "caf??");
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"invalid_token\", DPoP error=\"use_dpop_nonce\"", 0, 1,
        0, "invalid_token", NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"invalid_token\", error=\"use_dpop_nonce\"", 0, 1, 0,
        "invalid_token", NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoPx error=\"use_dpop_nonce\"", 0, 0, 0, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one("", 0, 0, 0, "", "");

    /* malformed: what came before the fault is kept */

    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"use_dpop_nonce", -1, 1, 0, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"use_dpop_nonce\"\r\n", -1, 1, 1, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "error=\"use_dpop_nonce\"", -1, 0, 0, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP a=b, error=", -1, 1, 0, NULL, NULL);

    /* but "error=" right after the scheme is a token68, as RFC 9110 has it */
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=", 0, 1, 0, "", NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"a\nb\"", -1, 1, 0, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"a\\", -1, 1, 0, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one(
        "DPoP error=\"x\" junk", -1, 1, 0, "x", NULL);
    ngx_http_oauth2_client_test_challenge_one("=", -1, 0, 0, NULL, NULL);
    ngx_http_oauth2_client_test_challenge_one("DPoP\"x\"", -1, 1, 0, NULL,
                                              NULL);

    /* a long error is cut and never matches */

    memset(long_error, 'e', sizeof(long_error));
    memcpy(long_error, "DPoP error=use_dpop_nonce", 25);
    long_error[sizeof(long_error) - 1] = '\0';

    CHECK(ngx_http_oauth2_client_challenge_parse(
              (const unsigned char *) long_error, strlen(long_error), "DPoP",
              &ch) == 0);
    CHECK(ch.found && !ch.use_dpop_nonce && ch.error_truncated);
    CHECK(strlen(ch.error) == sizeof(ch.error) - 1);

    CHECK(ngx_http_oauth2_client_challenge_parse(NULL, 0, "DPoP", &ch) == -1);
    CHECK(ngx_http_oauth2_client_challenge_parse(S("DPoP"), NULL, &ch) == -1);
    CHECK(ngx_http_oauth2_client_challenge_parse(S("DPoP"), "DPoP", NULL)
          == -1);
}


void
ngx_http_oauth2_client_test_dpop(void)
{
    char                            err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    EVP_PKEY                       *ec1;
    ngx_http_oauth2_client_dpop_t   dpop;

    ngx_http_oauth2_client_test_dpop_key("ec1", ALG(UNSET), "ES256");
    ngx_http_oauth2_client_test_dpop_key("ec384", ALG(UNSET), "ES384");
    ngx_http_oauth2_client_test_dpop_key("ec521", ALG(ES512), "ES512");
    ngx_http_oauth2_client_test_dpop_key("rsa1", ALG(UNSET), "RS256");
    ngx_http_oauth2_client_test_dpop_key("rsa1", ALG(PS384), "PS384");

    ec1 = ngx_http_oauth2_client_test_pem_key("ec1.pem");

    if (ec1 != NULL
        && ngx_http_oauth2_client_dpop_init(&dpop, ec1, ALG(UNSET), err,
                                            sizeof(err)) == 0)
    {
        ngx_http_oauth2_client_test_dpop_claims(&dpop, ec1);
        ngx_http_oauth2_client_test_dpop_jti(&dpop);
        ngx_http_oauth2_client_test_dpop_refusals(&dpop);
        ngx_http_oauth2_client_dpop_cleanup(&dpop);
    }

    EVP_PKEY_free(ec1);

    ngx_http_oauth2_client_test_dpop_escape();
    ngx_http_oauth2_client_test_dpop_nonce();
    ngx_http_oauth2_client_test_dpop_misc();
    ngx_http_oauth2_client_test_challenge();
}
