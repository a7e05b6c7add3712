
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * HS256/384/512 (RFC 7515 A.1's example, checked with openssl dgst
 * -mac HMAC), client_secret_jwt assertions, and private_key_jwt with the
 * x5t and x5t#S256 headers openssl computed; signatures verified with
 * OpenSSL.  Crypt::JWT verifies HS256 assertions in t/unit/verify.pl.
 */


#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_encode.h"
#include "ngx_http_oauth2_client_jose.h"
#include "ngx_http_oauth2_client_jwt.h"
#include "test_util.h"


#define HMAC(name)  NGX_HTTP_OAUTH2_CLIENT_HMAC_ ## name
#define ALG(name)   NGX_HTTP_OAUTH2_CLIENT_ALG_ ## name

#define S(s)  (const unsigned char *) (s), sizeof(s) - 1


static json_t *ngx_http_oauth2_client_test_jwt_claims(const char *jws,
    const char *want_header, const ngx_http_oauth2_client_jwt_t *j,
    EVP_PKEY *pkey, const char *alg);
static void ngx_http_oauth2_client_test_jwt_hmac(void);
static void ngx_http_oauth2_client_test_jwt_secret(void);
static void ngx_http_oauth2_client_test_jwt_x5t(void);
static void ngx_http_oauth2_client_test_jwt_refusals(void);


/* the assertion's header is want_header, its signature verifies */

static json_t *
ngx_http_oauth2_client_test_jwt_claims(const char *jws,
    const char *want_header, const ngx_http_oauth2_client_jwt_t *j,
    EVP_PKEY *pkey, const char *alg)
{
    char           *header, *claims;
    size_t          siglen, signed_len, n;
    json_t         *json;
    json_error_t    jerr;
    unsigned char   sig[1024], mac[64];

    if (jws == NULL
        || ngx_http_oauth2_client_test_jws_split(jws, &header, &claims, sig,
                                                 &siglen, &signed_len)
           != 0)
    {
        CHECK(0);
        return NULL;
    }

    CHECK_STR(header, want_header);

    if (pkey != NULL) {
        CHECK(ngx_http_oauth2_client_test_verify(pkey, alg,
                                                 (const unsigned char *) jws,
                                                 signed_len, sig, siglen));

    } else {
        /* OpenSSL's one-shot HMAC, not the code under test */
        CHECK(EVP_Q_mac(NULL, "HMAC", NULL,
                        j->hmac == HMAC(HS256) ? "SHA256"
                        : j->hmac == HMAC(HS384) ? "SHA384" : "SHA512",
                        NULL, j->secret, j->secret_len,
                        (const unsigned char *) jws, signed_len, mac,
                        sizeof(mac), &n) != NULL);
        CHECK(n == siglen && memcmp(mac, sig, n) == 0);
    }

    json = json_loads(claims, JSON_REJECT_DUPLICATES, &jerr);
    CHECK(json != NULL);

    if (json != NULL) {
        CHECK(json_object_size(json) == 6);
        CHECK_STR(json_string_value(json_object_get(json, "iss")),
                  j->a->client_id);
        CHECK_STR(json_string_value(json_object_get(json, "sub")),
                  j->a->client_id);
        CHECK_STR(json_string_value(json_object_get(json, "aud")),
                  j->a->audience);
        CHECK(json_integer_value(json_object_get(json, "iat")) == j->a->now);
        CHECK(json_integer_value(json_object_get(json, "exp"))
              == j->a->now + j->a->lifetime);
        CHECK(json_string_length(json_object_get(json, "jti")) == 22);
    }

    free(header);
    free(claims);

    return json;
}


static void
ngx_http_oauth2_client_test_jwt_hmac(void)
{
    char           err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char           sig64[128];
    size_t         len, klen, siglen;
    unsigned char  key[64], sig[NGX_HTTP_OAUTH2_CLIENT_HMAC_MAX];

    static const char  k64[] =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4h"
        "cgUuTwjAzZr1Z9CAow";
    static const char  input[] =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
        "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

    CHECK_STR(ngx_http_oauth2_client_hmac_name(HMAC(HS384)), "HS384");
    CHECK(ngx_http_oauth2_client_hmac_name(HMAC(UNSET)) == NULL);
    CHECK(ngx_http_oauth2_client_hmac_name(9) == NULL);
    CHECK(ngx_http_oauth2_client_hmac_by_name("HS512", 5) == HMAC(HS512));
    CHECK(ngx_http_oauth2_client_hmac_by_name("HS51", 4) == HMAC(UNSET));
    CHECK(ngx_http_oauth2_client_hmac_by_name("RS256", 5) == HMAC(UNSET));
    CHECK(ngx_http_oauth2_client_hmac_by_name(NULL, 0) == HMAC(UNSET));

    /* RFC 7515, appendix A.1 */

    klen = ngx_http_oauth2_client_base64url_decode(key,
                              (const unsigned char *) k64, sizeof(k64) - 1);
    CHECK(klen == 64);

    CHECK(ngx_http_oauth2_client_jws_hmac(HMAC(HS256), key, klen, S(input),
                                          sig, &siglen, err, sizeof(err))
          == 0);
    CHECK(siglen == 32);

    len = ngx_http_oauth2_client_base64url_encode((unsigned char *) sig64,
                                                  sig, siglen);
    sig64[len] = '\0';
    CHECK_STR(sig64, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

    CHECK(ngx_http_oauth2_client_jws_hmac(HMAC(HS384), key, klen, S(input),
                                          sig, &siglen, err, sizeof(err))
          == 0 && siglen == 48);
    CHECK(ngx_http_oauth2_client_jws_hmac(HMAC(HS512), key, klen, S(input),
                                          sig, &siglen, err, sizeof(err))
          == 0 && siglen == 64);

    CHECK(ngx_http_oauth2_client_jws_hmac(HMAC(UNSET), key, klen, S(input),
                                          sig, &siglen, err, sizeof(err))
          == -1);
    CHECK(ngx_http_oauth2_client_jws_hmac(HMAC(HS256), key, 0, S(input),
                                          sig, &siglen, err, sizeof(err))
          == -1);
    CHECK_ERR(err, "no client secret");

    /* RFC 7518 3.2: at least the size of the hash */

    CHECK(ngx_http_oauth2_client_hmac_key_check(HMAC(HS256), 32, err,
                                                sizeof(err)) == 0);
    CHECK(ngx_http_oauth2_client_hmac_key_check(HMAC(HS256), 31, err,
                                                sizeof(err)) == -1);
    CHECK_ERR(err, "a client secret of 31 bytes is shorter than HS256 "
                   "wants (32");
    CHECK(ngx_http_oauth2_client_hmac_key_check(HMAC(HS512), 63, err,
                                                sizeof(err)) == -1);
    CHECK(ngx_http_oauth2_client_hmac_key_check(HMAC(HS384), 48, err,
                                                sizeof(err)) == 0);
    CHECK(ngx_http_oauth2_client_hmac_key_check(7, 100, err, sizeof(err))
          == -1);
}


static void
ngx_http_oauth2_client_test_jwt_secret(void)
{
    char                                *jws, *jws2;
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                               len;
    json_t                              *a, *b;
    ngx_http_oauth2_client_jwt_t         j;
    ngx_http_oauth2_client_assertion_t   as;

    static const char  secret[] = "p%ss+w rd:\xc3\xa9-a-secret-of-40-bytes!!";

    memset(&as, 0, sizeof(as));
    as.client_id = "client:1";
    as.audience = "https://idp.example.com/realms/r/protocol/openid-connect"
                  "/token";
    as.lifetime = 300;
    as.now = time(NULL);

    memset(&j, 0, sizeof(j));
    j.a = &as;
    j.hmac = HMAC(HS256);
    j.secret = (const unsigned char *) secret;
    j.secret_len = sizeof(secret) - 1;

    jws = ngx_http_oauth2_client_jwt_assertion_create(&j, &len, err,
                                                      sizeof(err));
    CHECK(jws != NULL && strlen(jws) == len);

    a = ngx_http_oauth2_client_test_jwt_claims(jws,
                                         "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                                         &j, NULL, NULL);

    /* a new jti each time */

    jws2 = ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                       sizeof(err));
    b = ngx_http_oauth2_client_test_jwt_claims(jws2,
                                         "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                                         &j, NULL, NULL);
    CHECK(a != NULL && b != NULL
          && strcmp(json_string_value(json_object_get(a, "jti")),
                    json_string_value(json_object_get(b, "jti"))) != 0);
    json_decref(a);
    json_decref(b);
    free(jws);
    free(jws2);

    /* HS512 with a kid; the pkey fields are not used */

    j.hmac = HMAC(HS512);
    as.kid = "secret-1";
    as.alg = ALG(ES256);

    jws = ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err));
    a = ngx_http_oauth2_client_test_jwt_claims(jws,
                                    "{\"alg\":\"HS512\",\"typ\":\"JWT\","
                                    "\"kid\":\"secret-1\"}", &j, NULL, NULL);
    json_decref(a);
    free(jws);
}


static void
ngx_http_oauth2_client_test_jwt_x5t(void)
{
    char                                *jws, *x5t, *x5t256, *want;
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    json_t                              *claims;
    size_t                               n;
    EVP_PKEY                            *rsa;
    ngx_http_oauth2_client_jwt_t         j;
    ngx_http_oauth2_client_assertion_t   as;

    rsa = ngx_http_oauth2_client_test_pem_key("rsa1.pem");
    x5t = ngx_http_oauth2_client_test_read_line("rsa1.crt.x5t");
    x5t256 = ngx_http_oauth2_client_test_read_line("rsa1.crt.x5t256");

    if (rsa == NULL || x5t == NULL || x5t256 == NULL) {
        goto done;
    }

    /* Entra ID: PS256 and x5t#S256, or RS256 and x5t */

    memset(&as, 0, sizeof(as));
    as.pkey = rsa;
    as.alg = ALG(PS256);
    as.client_id = "6731de76-14a6-49ae-97bc-6eba6914391e";
    as.audience = "https://login.microsoftonline.com/contoso.onmicrosoft.com"
                  "/oauth2/v2.0/token";
    as.lifetime = 600;
    as.now = time(NULL);

    memset(&j, 0, sizeof(j));
    j.a = &as;
    j.x5t_s256 = x5t256;

    n = strlen(x5t) + strlen(x5t256) + 128;
    want = malloc(n);
    if (want == NULL) {
        goto done;
    }

    jws = ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err));
    (void) snprintf(want, n,
                    "{\"alg\":\"PS256\",\"typ\":\"JWT\",\"x5t#S256\":\"%s\"}",
                    x5t256);
    claims = ngx_http_oauth2_client_test_jwt_claims(jws, want, &j, rsa,
                                                    "PS256");
    json_decref(claims);
    free(jws);

    as.alg = ALG(RS256);
    as.kid = "rsa1";
    j.x5t = x5t;
    j.x5t_s256 = NULL;

    jws = ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err));
    (void) snprintf(want, n,
                    "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa1\","
                    "\"x5t\":\"%s\"}", x5t);
    claims = ngx_http_oauth2_client_test_jwt_claims(jws, want, &j, rsa,
                                                    "RS256");
    json_decref(claims);
    free(jws);
    free(want);

    /* an algorithm the key cannot make */

    as.alg = ALG(ES256);
    CHECK(ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err)) == NULL);
    CHECK_ERR(err, "signing_alg ES256 needs an EC P-256 key");

done:

    EVP_PKEY_free(rsa);
    free(x5t);
    free(x5t256);
}


static void
ngx_http_oauth2_client_test_jwt_refusals(void)
{
    char                                *jws;
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    ngx_http_oauth2_client_jwt_t         j;
    ngx_http_oauth2_client_assertion_t   as;

    memset(&as, 0, sizeof(as));
    as.client_id = "c";
    as.audience = "https://a/token";
    as.lifetime = 60;

    memset(&j, 0, sizeof(j));
    j.a = &as;
    j.hmac = HMAC(HS256);
    j.secret = (const unsigned char *) "s";
    j.secret_len = 1;

    /* a short secret is the caller's to judge (hmac_key_check()) */
    jws = ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err));
    CHECK(jws != NULL);
    free(jws);

    j.secret_len = 0;
    CHECK(ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err)) == NULL);
    CHECK_ERR(err, "no client secret");
    j.secret_len = 1;

    j.hmac = 9;
    CHECK(ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err)) == NULL);
    CHECK_ERR(err, "unknown HMAC algorithm 9");

    j.hmac = HMAC(UNSET);
    CHECK(ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err)) == NULL);
    CHECK_ERR(err, "no private key");
    j.hmac = HMAC(HS256);

    as.lifetime = 3601;
    CHECK(ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err)) == NULL);
    CHECK_ERR(err, "assertion lifetime 3601 is not in the range");
    as.lifetime = 60;

    as.audience = "";
    CHECK(ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err)) == NULL);
    CHECK_ERR(err, "no audience");
    as.audience = "https://a/token";

    as.client_id = "\xff";
    CHECK(ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err)) == NULL);
    CHECK_ERR(err, "valid UTF-8");

    as.client_id = NULL;
    CHECK(ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err)) == NULL);
    CHECK_ERR(err, "no client_id");

    CHECK(ngx_http_oauth2_client_jwt_assertion_create(NULL, NULL, err,
                                                      sizeof(err)) == NULL);
}


void
ngx_http_oauth2_client_test_jwt(void)
{
    ngx_http_oauth2_client_test_jwt_hmac();
    ngx_http_oauth2_client_test_jwt_secret();
    ngx_http_oauth2_client_test_jwt_x5t();
    ngx_http_oauth2_client_test_jwt_refusals();
}
