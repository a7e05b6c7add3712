
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Writes DPoP proofs, client_secret_jwt and x5t#S256 assertions and
 * client_secret_basic values made by the module's code, one per line,
 * tab-separated, for t/unit/verify.pl to check with Crypt::JWT and
 * CryptX, which nobody here wrote.
 *
 *   build/test_emit KEYDIR
 *
 *   dpop  ALG KEY HTM HTU NONCE|- TOKEN|- IAT PROOF
 *   hmac  ALG SECRET-HEX CLIENT-ID AUD IAT LIFETIME JWT
 *   pkjwt ALG KEY CERT CLIENT-ID AUD JWT
 *   basic ID-HEX SECRET-HEX VALUE
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_jose.h"
#include "ngx_http_oauth2_client_jwk.h"
#include "ngx_http_oauth2_client_dpop.h"
#include "ngx_http_oauth2_client_jwt.h"
#include "ngx_http_oauth2_client_secret.h"
#include "ngx_http_oauth2_client_cert.h"


static EVP_PKEY *ngx_emit_key(const char *dir, const char *name);
static void ngx_emit_hex(const unsigned char *p, size_t len);
static int ngx_emit_dpop(const char *dir, const char *name, int alg,
    const char *htm, const char *htu, const char *nonce, const char *token);
static int ngx_emit_hmac(int hmac, const char *secret);
static int ngx_emit_pkjwt(const char *dir, int alg);
static int ngx_emit_basic(const char *id, const char *secret);


static EVP_PKEY *
ngx_emit_key(const char *dir, const char *name)
{
    BIO       *bio;
    char       path[1024];
    EVP_PKEY  *pkey;

    (void) snprintf(path, sizeof(path), "%s/%s", dir, name);

    bio = BIO_new_file(path, "r");
    pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *) "")
                       : NULL;
    BIO_free(bio);

    if (pkey == NULL) {
        fprintf(stderr, "emit: cannot read %s\n", path);
    }

    return pkey;
}


static void
ngx_emit_hex(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        printf("%02x", p[i]);
    }
}


static int
ngx_emit_dpop(const char *dir, const char *name, int alg, const char *htm,
    const char *htu, const char *nonce, const char *token)
{
    int                                    rc;
    char                                   err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                                   ath[NGX_HTTP_OAUTH2_CLIENT_ATH_LEN
                                               + 1];
    size_t                                 size, len;
    EVP_PKEY                              *pkey;
    unsigned char                         *buf;
    ngx_http_oauth2_client_dpop_t          dpop;
    ngx_http_oauth2_client_dpop_claims_t   c;

    pkey = ngx_emit_key(dir, name);
    if (pkey == NULL) {
        return -1;
    }

    if (ngx_http_oauth2_client_dpop_init(&dpop, pkey, alg, err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "emit: dpop_init(): %s\n", err);
        EVP_PKEY_free(pkey);
        return -1;
    }

    memset(&c, 0, sizeof(c));
    c.htm = (const unsigned char *) htm;
    c.htm_len = strlen(htm);
    c.htu = (const unsigned char *) htu;
    c.htu_len = strlen(htu);
    c.iat = time(NULL);

    if (nonce != NULL) {
        c.nonce = (const unsigned char *) nonce;
        c.nonce_len = strlen(nonce);
    }

    if (token != NULL) {
        (void) ngx_http_oauth2_client_dpop_ath((const unsigned char *) token,
                                               strlen(token), ath);
        c.ath = (const unsigned char *) ath;
        c.ath_len = strlen(ath);
    }

    size = ngx_http_oauth2_client_dpop_proof_size(&dpop, &c);
    buf = malloc(size);
    rc = -1;

    if (buf != NULL
        && ngx_http_oauth2_client_dpop_proof(&dpop, &c, buf, size, &len, err,
                                             sizeof(err)) == 0)
    {
        printf("dpop\t%s\t%s\t%s\t%s\t%s\t%s\t%lld\t%s\n",
               ngx_http_oauth2_client_alg_name(dpop.alg), name, htm, htu,
               nonce != NULL ? nonce : "-", token != NULL ? token : "-",
               (long long) c.iat, (char *) buf);
        rc = 0;

    } else {
        fprintf(stderr, "emit: dpop_proof(): %s\n", err);
    }

    free(buf);
    ngx_http_oauth2_client_dpop_cleanup(&dpop);
    EVP_PKEY_free(pkey);

    return rc;
}


static int
ngx_emit_hmac(int hmac, const char *secret)
{
    char                                *jws;
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    ngx_http_oauth2_client_jwt_t         j;
    ngx_http_oauth2_client_assertion_t   a;

    memset(&a, 0, sizeof(a));
    a.client_id = "0oa-secret-client";
    a.audience = "https://example.okta.com/oauth2/default/v1/token";
    a.lifetime = 300;
    a.now = time(NULL);

    memset(&j, 0, sizeof(j));
    j.a = &a;
    j.hmac = hmac;
    j.secret = (const unsigned char *) secret;
    j.secret_len = strlen(secret);

    jws = ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err));
    if (jws == NULL) {
        fprintf(stderr, "emit: jwt_assertion_create(): %s\n", err);
        return -1;
    }

    printf("hmac\t%s\t", ngx_http_oauth2_client_hmac_name(hmac));
    ngx_emit_hex((const unsigned char *) secret, strlen(secret));
    printf("\t%s\t%s\t%lld\t%ld\t%s\n", a.client_id, a.audience,
           (long long) a.now, a.lifetime, jws);

    free(jws);

    return 0;
}


static int
ngx_emit_pkjwt(const char *dir, int alg)
{
    X509                                *x;
    char                                *jws;
    char                                 err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char                                 path[1024];
    char                                 x5t[64];
    char                                 x5t256[64];
    EVP_PKEY                            *pkey;
    ngx_http_oauth2_client_jwt_t         j;
    ngx_http_oauth2_client_assertion_t   a;

    pkey = ngx_emit_key(dir, "rsa1.pem");
    (void) snprintf(path, sizeof(path), "%s/rsa1.crt", dir);
    x = ngx_http_oauth2_client_cert_load(path, err, sizeof(err));

    if (pkey == NULL || x == NULL
        || ngx_http_oauth2_client_cert_thumbprints(x, x5t, x5t256) != 0)
    {
        EVP_PKEY_free(pkey);
        X509_free(x);
        return -1;
    }

    memset(&a, 0, sizeof(a));
    a.pkey = pkey;
    a.alg = alg;
    a.client_id = "6731de76-14a6-49ae-97bc-6eba6914391e";
    a.audience = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token";
    a.lifetime = 600;
    a.now = time(NULL);

    memset(&j, 0, sizeof(j));
    j.a = &a;
    j.x5t_s256 = x5t256;
    j.x5t = x5t;

    jws = ngx_http_oauth2_client_jwt_assertion_create(&j, NULL, err,
                                                      sizeof(err));

    if (jws != NULL) {
        printf("pkjwt\t%s\trsa1.pub.pem\trsa1.crt\t%s\t%s\t%s\n",
               ngx_http_oauth2_client_alg_name(alg), a.client_id,
               a.audience, jws);
    }

    free(jws);
    X509_free(x);
    EVP_PKEY_free(pkey);

    return jws != NULL ? 0 : -1;
}


static int
ngx_emit_basic(const char *id, const char *secret)
{
    char  *v;

    v = ngx_http_oauth2_client_secret_basic((const unsigned char *) id,
                                            strlen(id),
                                            (const unsigned char *) secret,
                                            strlen(secret), NULL, NULL, 0);
    if (v == NULL) {
        return -1;
    }

    printf("basic\t");
    ngx_emit_hex((const unsigned char *) id, strlen(id));
    printf("\t");
    ngx_emit_hex((const unsigned char *) secret, strlen(secret));
    printf("\t%s\n", v);

    free(v);

    return 0;
}


int
main(int argc, char **argv)
{
    int          i, rc;
    const char  *dir;

    static const char  token[] =
        "eyJraWQiOiJRVX.eyJzdWIiOiIwb2EifQ.Okta-access-token~sig";
    static const char  secret[] =
        "p%ss+w rd:\xc3\xa9/this-secret-is-long-enough-for-HS512-at-64-"
        "bytes!";

    dir = argc > 1 ? argv[1] : "t/keys";
    rc = 0;

    rc |= ngx_emit_dpop(dir, "ec1.pem", NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET,
                        "POST", "https://example.okta.com/oauth2/v1/token",
                        NULL, NULL);
    rc |= ngx_emit_dpop(dir, "ec1.pem", NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET,
                        "POST", "https://example.okta.com/oauth2/v1/token",
                        "eyJ7S_zG.eyJH0-Z.HX4w-7v", NULL);
    rc |= ngx_emit_dpop(dir, "ec384.pem", NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET,
                        "GET", "https://example.okta.com/api/v1/users",
                        NULL, token);
    rc |= ngx_emit_dpop(dir, "ec521.pem", NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET,
                        "DELETE", "https://api.example.com/a\"b\\c/\xc3\xa9",
                        "n!#[]~", token);
    rc |= ngx_emit_dpop(dir, "rsa1.pem", NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET,
                        "GET", "https://api.example.com/", NULL, token);
    rc |= ngx_emit_dpop(dir, "rsa1.pem", NGX_HTTP_OAUTH2_CLIENT_ALG_PS256,
                        "PATCH", "https://api.example.com/x", "nonce",
                        token);

    /* many proofs from one key: Crypt::JWT sees every jti once */

    for (i = 0; i < 50; i++) {
        rc |= ngx_emit_dpop(dir, "ec1.pem", NGX_HTTP_OAUTH2_CLIENT_ALG_ES256,
                            "GET", "https://api.example.com/many", NULL,
                            token);
    }

    rc |= ngx_emit_hmac(NGX_HTTP_OAUTH2_CLIENT_HMAC_HS256, secret);
    rc |= ngx_emit_hmac(NGX_HTTP_OAUTH2_CLIENT_HMAC_HS384, secret);
    rc |= ngx_emit_hmac(NGX_HTTP_OAUTH2_CLIENT_HMAC_HS512, secret);

    rc |= ngx_emit_pkjwt(dir, NGX_HTTP_OAUTH2_CLIENT_ALG_PS256);
    rc |= ngx_emit_pkjwt(dir, NGX_HTTP_OAUTH2_CLIENT_ALG_RS256);

    rc |= ngx_emit_basic("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw");
    rc |= ngx_emit_basic("client:1 + 2%", secret);
    rc |= ngx_emit_basic("\xc3\xa9t\xc3\xa9", "~-._ *'()!");

    return rc != 0;
}
