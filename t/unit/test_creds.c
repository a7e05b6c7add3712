
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * _creds.c: the credentials layer of the token request for each client
 * authentication method (the header of client_secret_basic against RFC
 * 6749's example, the body parameters of client_secret_post, of the mTLS
 * methods and of none, the assertions of client_secret_jwt, checked with
 * OpenSSL's HMAC, and of private_key_jwt with and without thumbprints),
 * refusals, and the names token_param accepts.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ngx_http_oauth2_client_creds.h"
#include "ngx_http_oauth2_client_jwt.h"
#include "test_util.h"


#define AUTH(m)  NGX_HTTP_OAUTH2_CLIENT_AUTH_ ## m


static void ngx_http_oauth2_client_test_creds_names(void);
static void ngx_http_oauth2_client_test_creds_secrets(void);
static void ngx_http_oauth2_client_test_creds_jwt(void);
static void ngx_http_oauth2_client_test_creds_params(void);
static char *ngx_http_oauth2_client_test_creds_header(const char *body);


void
ngx_http_oauth2_client_test_creds(void)
{
    ngx_http_oauth2_client_test_creds_names();
    ngx_http_oauth2_client_test_creds_secrets();
    ngx_http_oauth2_client_test_creds_jwt();
    ngx_http_oauth2_client_test_creds_params();
}


static void
ngx_http_oauth2_client_test_creds_names(void)
{
    int  m;

    for (m = AUTH(PRIVATE_KEY_JWT); m <= AUTH(NONE); m++) {
        CHECK(ngx_http_oauth2_client_auth_by_name(
                  ngx_http_oauth2_client_auth_name(m),
                  strlen(ngx_http_oauth2_client_auth_name(m)))
              == m);
    }

    CHECK_STR(ngx_http_oauth2_client_auth_name(AUTH(TLS_CLIENT_AUTH)),
              "tls_client_auth");
    CHECK_STR(ngx_http_oauth2_client_auth_name(AUTH(UNSET)), "unset");
    CHECK_STR(ngx_http_oauth2_client_auth_name(99), "unset");
    CHECK(ngx_http_oauth2_client_auth_by_name("client_secret", 13)
          == AUTH(UNSET));
    CHECK(ngx_http_oauth2_client_auth_by_name("", 0) == AUTH(UNSET));
}


static void
ngx_http_oauth2_client_test_creds_secrets(void)
{
    int                                     rc;
    char                                    err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    ngx_http_oauth2_client_creds_t          c;
    ngx_http_oauth2_client_assertion_t      a;
    ngx_http_oauth2_client_token_request_t  tr;

    static const char  secret[] = "p%ss+w rd:";

    memset(&a, 0, sizeof(a));
    memset(&c, 0, sizeof(c));
    a.client_id = "s6BhdRkqt3";
    c.a = &a;

    /* RFC 6749 2.3.1's example, as a header; the body untouched */

    ngx_http_oauth2_client_token_request_init(&tr);
    c.method = AUTH(CLIENT_SECRET_BASIC);
    c.secret = (const unsigned char *) "7Fjfp0ZBr1KtDRbnfVdmIw";
    c.secret_len = 22;

    CHECK(ngx_http_oauth2_client_token_request_grant(&tr, "a b", err,
                                                     sizeof(err)) == 0);
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == 0);
    CHECK_STR((char *) tr.body, "grant_type=client_credentials&scope=a+b");
    CHECK(tr.nheaders == 1);
    CHECK_STR(tr.headers[0].name, "Authorization");
    CHECK_STR(tr.headers[0].value,
              "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");

    /* a second header fits, a third does not */

    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == 0);
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == -1);
    CHECK_ERR(err, "too many headers");
    ngx_http_oauth2_client_token_request_free(&tr);

    /* client_secret_post: both form-encoded */

    ngx_http_oauth2_client_token_request_init(&tr);
    c.method = AUTH(CLIENT_SECRET_POST);
    c.secret = (const unsigned char *) secret;
    c.secret_len = sizeof(secret) - 1;
    a.client_id = "id:1";

    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == 0);
    CHECK_STR((char *) tr.body,
              "client_id=id%3A1&client_secret=p%25ss%2Bw+rd%3A");
    CHECK(tr.nheaders == 0);
    ngx_http_oauth2_client_token_request_free(&tr);

    /* without a secret */

    ngx_http_oauth2_client_token_request_init(&tr);
    c.secret = NULL;
    c.secret_len = 0;
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == -1);
    CHECK_ERR(err, "no client secret");
    c.method = AUTH(CLIENT_SECRET_BASIC);
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == -1);
    c.method = AUTH(CLIENT_SECRET_JWT);
    c.hmac = NGX_HTTP_OAUTH2_CLIENT_HMAC_HS256;
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == -1);
    CHECK(tr.len == 0 && tr.nheaders == 0);
    ngx_http_oauth2_client_token_request_free(&tr);

    /* the mTLS methods and none: client_id alone */

    for (c.method = AUTH(TLS_CLIENT_AUTH); c.method <= AUTH(NONE);
         c.method++)
    {
        ngx_http_oauth2_client_token_request_init(&tr);
        CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                               sizeof(err))
              == 0);
        CHECK_STR((char *) tr.body, "client_id=id%3A1");
        ngx_http_oauth2_client_token_request_free(&tr);
    }

    /* no client_id, an unknown method */

    ngx_http_oauth2_client_token_request_init(&tr);
    a.client_id = "";
    rc = ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                          sizeof(err));
    CHECK(rc == -1);
    CHECK_ERR(err, "no client_id");
    a.client_id = "x";
    c.method = 42;
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == -1);
    CHECK_ERR(err, "unknown client authentication method 42");
    ngx_http_oauth2_client_token_request_free(&tr);
}


/* the decoded JOSE header of the client_assertion of a body; malloc()ed */

static char *
ngx_http_oauth2_client_test_creds_header(const char *body)
{
    char        *p, *dot, *out;
    size_t       n;
    const char  *tag = "client_assertion=";

    p = strstr(body, tag);
    if (p == NULL) {
        CHECK(0);
        return NULL;
    }

    p += strlen(tag);

    dot = strchr(p, '.');
    if (dot == NULL) {
        CHECK(0);
        return NULL;
    }

    out = malloc(dot - p + 1);
    if (out == NULL) {
        CHECK(0);
        return NULL;
    }

    n = ngx_http_oauth2_client_base64url_decode((unsigned char *) out,
                                                (unsigned char *) p,
                                                dot - p);
    CHECK(n != (size_t) -1);
    out[n == (size_t) -1 ? 0 : n] = '\0';

    return out;
}


static void
ngx_http_oauth2_client_test_creds_jwt(void)
{
    char                                   *h, *p, *dot, *end;
    char                                    err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                                  n, siglen;
    unsigned char                           mac[64], sig[64];
    EVP_PKEY                               *pkey;
    ngx_http_oauth2_client_creds_t          c;
    ngx_http_oauth2_client_assertion_t      a;
    ngx_http_oauth2_client_token_request_t  tr;

    static const char  secret[] = "0123456789abcdef0123456789abcdef";

    /* the whole prefix, up to the start of the JOSE header */

    static const char  jwt_start[] = "client_assertion_type=urn%3Aietf"
        "%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=eyJ";

    memset(&a, 0, sizeof(a));
    memset(&c, 0, sizeof(c));
    a.client_id = "client";
    a.audience = "https://as.example.test/token";
    a.lifetime = 60;
    a.now = 1700000000;
    c.a = &a;

    /* client_secret_jwt: the HMAC checked with OpenSSL's one-shot MAC */

    c.method = AUTH(CLIENT_SECRET_JWT);
    c.hmac = NGX_HTTP_OAUTH2_CLIENT_HMAC_HS256;
    c.secret = (const unsigned char *) secret;
    c.secret_len = sizeof(secret) - 1;

    ngx_http_oauth2_client_token_request_init(&tr);
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == 0);
    CHECK(tr.body != NULL
          && strncmp((char *) tr.body, jwt_start, sizeof(jwt_start) - 1)
             == 0);

    h = (tr.body != NULL)
        ? ngx_http_oauth2_client_test_creds_header((char *) tr.body) : NULL;
    CHECK(h != NULL && strstr(h, "\"alg\":\"HS256\"") != NULL);
    CHECK(h != NULL && strstr(h, "x5t") == NULL);
    free(h);

    p = (tr.body != NULL) ? strstr((char *) tr.body, "client_assertion=")
                          : NULL;

    if (p != NULL) {
        p += sizeof("client_assertion=") - 1;
        dot = strrchr(p, '.');
        end = p + strlen(p);

        CHECK(dot != NULL);

        if (dot != NULL) {
            siglen = ngx_http_oauth2_client_base64url_decode(sig,
                                       (unsigned char *) dot + 1,
                                       end - dot - 1);
            CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret,
                            sizeof(secret) - 1, (unsigned char *) p,
                            dot - p, mac, sizeof(mac), &n)
                  != NULL);
            CHECK(n == 32 && siglen == 32 && memcmp(mac, sig, n) == 0);
        }
    }

    ngx_http_oauth2_client_token_request_free(&tr);

    /* client_secret_jwt without an HMAC */

    ngx_http_oauth2_client_token_request_init(&tr);
    c.hmac = NGX_HTTP_OAUTH2_CLIENT_HMAC_UNSET;
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == -1);
    CHECK_ERR(err, "no client secret or HMAC");
    ngx_http_oauth2_client_token_request_free(&tr);

    /* private_key_jwt, with and without the thumbprints */

    pkey = ngx_http_oauth2_client_test_pem_key("rsa1.pem");
    CHECK(pkey != NULL);

    if (pkey == NULL) {
        return;
    }

    memset(&c, 0, sizeof(c));
    c.a = &a;
    c.method = AUTH(PRIVATE_KEY_JWT);
    a.pkey = pkey;
    a.alg = NGX_HTTP_OAUTH2_CLIENT_ALG_RS256;
    a.kid = "rsa1";

    ngx_http_oauth2_client_token_request_init(&tr);
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == 0);
    h = (tr.body != NULL)
        ? ngx_http_oauth2_client_test_creds_header((char *) tr.body) : NULL;
    CHECK(h != NULL && strstr(h, "\"alg\":\"RS256\"") != NULL);
    CHECK(h != NULL && strstr(h, "\"kid\":\"rsa1\"") != NULL);
    CHECK(h != NULL && strstr(h, "x5t") == NULL);
    free(h);
    ngx_http_oauth2_client_token_request_free(&tr);

    c.x5t_s256 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    c.x5t = "BBBBBBBBBBBBBBBBBBBBBBBBBBB";

    ngx_http_oauth2_client_token_request_init(&tr);
    CHECK(ngx_http_oauth2_client_token_request_credentials(&tr, &c, err,
                                                           sizeof(err))
          == 0);
    h = (tr.body != NULL)
        ? ngx_http_oauth2_client_test_creds_header((char *) tr.body) : NULL;
    CHECK(h != NULL && strstr(h, "\"alg\":\"RS256\"") != NULL);
    CHECK(h != NULL && strstr(h, "\"x5t#S256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                 "AAAAAAAAAAAAAAAA\"") != NULL);
    CHECK(h != NULL && strstr(h, "\"x5t\":\"BBBBBBBBBBBBBBBBBBBBBBBBBBB\"")
          != NULL);
    free(h);
    ngx_http_oauth2_client_token_request_free(&tr);

    EVP_PKEY_free(pkey);
}


static void
ngx_http_oauth2_client_test_creds_params(void)
{
    char  err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];

    CHECK(ngx_http_oauth2_client_token_param_check("audience", 8, err,
                                                   sizeof(err)) == 0);
    CHECK(ngx_http_oauth2_client_token_param_check("x_A-1.b~", 8, err,
                                                   sizeof(err)) == 0);
    CHECK(ngx_http_oauth2_client_token_param_check("resource", 8, err,
                                                   sizeof(err)) == 0);
    CHECK(ngx_http_oauth2_client_token_param_check("scope", 5, err,
                                                   sizeof(err)) == -1);
    CHECK_ERR(err, "the module sends \"scope\" itself");
    CHECK(ngx_http_oauth2_client_token_param_check("client_assertion", 16,
                                                   err, sizeof(err)) == -1);
    CHECK(ngx_http_oauth2_client_token_param_check("client_", 7, err,
                                                   sizeof(err)) == 0);
    CHECK(ngx_http_oauth2_client_token_param_check("", 0, err, sizeof(err))
          == -1);
    CHECK(ngx_http_oauth2_client_token_param_check("a b", 3, err,
                                                   sizeof(err)) == -1);
    CHECK(ngx_http_oauth2_client_token_param_check("a=b", 3, err,
                                                   sizeof(err)) == -1);
    CHECK(ngx_http_oauth2_client_token_param_check("\xc3\xa9", 2, err,
                                                   sizeof(err)) == -1);

    /* RFC 8707 section 2: resource, an absolute URI without a fragment */

#define VALUE(n, v)                                                          \
    ngx_http_oauth2_client_token_param_value_check(n, sizeof(n) - 1, v,      \
                                                   sizeof(v) - 1, err,       \
                                                   sizeof(err))

    CHECK(VALUE("resource", "https://api.example.test/orders?x=1") == 0);
    CHECK(VALUE("resource", "urn:okta-mock:x") == 0);
    CHECK(VALUE("resource", "a+b-c.9:x") == 0);
    CHECK(VALUE("resource", "https://api.example.test/#frag") == -1);
    CHECK(strstr(err, "fragment") != NULL);
    CHECK(VALUE("resource", "https://api.example.test/a#") == -1);
    CHECK(VALUE("resource", "/orders") == -1);
    CHECK(strstr(err, "absolute URI") != NULL);
    CHECK(VALUE("resource", "api.example.test") == -1);
    CHECK(VALUE("resource", "") == -1);
    CHECK(VALUE("resource", ":x") == -1);
    CHECK(VALUE("resource", "9ttp://a") == -1);
    CHECK(VALUE("resource", "ht_tp://a") == -1);
    CHECK(VALUE("resource", "https://a/b c") == -1);
    CHECK(VALUE("resource", "https://a/\xc3\xa9") == -1);
    CHECK(VALUE("resources", "/orders") == 0);
    CHECK(VALUE("audience", "not a URI#") == 0);

#undef VALUE
}
