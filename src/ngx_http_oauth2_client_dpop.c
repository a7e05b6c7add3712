
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * DPoP proofs (RFC 9449), their ath, htu and nonce rules, and the key
 * generated when none is configured.  See ngx_http_oauth2_client_dpop.h.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_encode.h"
#include "ngx_http_oauth2_client_key.h"
#include "ngx_http_oauth2_client_jose.h"
#include "ngx_http_oauth2_client_jwk.h"
#include "ngx_http_oauth2_client_dpop.h"


/* the signature buffer of jws_sign(): a 4096-bit RSA signature */
#define NGX_HTTP_OAUTH2_CLIENT_DPOP_SIG_MAX    512

/* claims up to this size are built on the stack */
#define NGX_HTTP_OAUTH2_CLIENT_DPOP_STACK      2048

/* decimal digits of the largest time_t */
#define NGX_HTTP_OAUTH2_CLIENT_DPOP_IAT_MAX    20

#define ngx_dpop_cpy(p, s)                                                  \
    (memcpy(p, s, sizeof(s) - 1), (p) + sizeof(s) - 1)


static int ngx_http_oauth2_client_dpop_header(
    ngx_http_oauth2_client_dpop_t *dpop, char *err, size_t errlen);
static int ngx_http_oauth2_client_dpop_prepare(
    ngx_http_oauth2_client_dpop_t *dpop, const char *md, char *err,
    size_t errlen);
static int ngx_http_oauth2_client_dpop_sign_ec(
    const ngx_http_oauth2_client_dpop_t *dpop, const unsigned char *input,
    size_t len, unsigned char *sig, size_t *siglen, char *err,
    size_t errlen);
static size_t ngx_http_oauth2_client_dpop_utf8(const unsigned char *p,
    size_t len);
static size_t ngx_http_oauth2_client_dpop_claims_len(
    const ngx_http_oauth2_client_dpop_claims_t *c, char *err,
    size_t errlen);
static unsigned char *ngx_http_oauth2_client_dpop_claims(unsigned char *p,
    const ngx_http_oauth2_client_dpop_claims_t *c,
    const unsigned char *jti, size_t jtilen);
static unsigned char *ngx_http_oauth2_client_dpop_time(unsigned char *p,
    time_t t);


/* the header names: "typ", "alg", "jwk" (RFC 9449 4.2) */

static const char  ngx_http_oauth2_client_dpop_typ[] =
    "{\"typ\":\"dpop+jwt\",\"alg\":\"";
static const char  ngx_http_oauth2_client_dpop_jwk[] = "\",\"jwk\":";


int
ngx_http_oauth2_client_dpop_init(ngx_http_oauth2_client_dpop_t *dpop,
    EVP_PKEY *pkey, int alg, char *err, size_t errlen)
{
    int             rc;
    size_t          siglen;
    unsigned char   sig[NGX_HTTP_OAUTH2_CLIENT_DPOP_SIG_MAX];

    static const unsigned char  probe[] = "eyJhbGciOiJFUzI1NiJ9.e30";

    if (dpop == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "dpop_init() called without a result");
        return -1;
    }

    memset(dpop, 0, sizeof(ngx_http_oauth2_client_dpop_t));

    if (pkey == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no DPoP key");
        return -1;
    }

    if (alg == NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET) {
        alg = ngx_http_oauth2_client_key_default_alg(pkey, err, errlen);
        if (alg == NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET) {
            return -1;
        }
    }

    if (ngx_http_oauth2_client_key_check_alg(pkey, alg, err, errlen) != 0) {
        return -1;
    }

    /*
     * one signature now: a public key, or one OpenSSL cannot use, is
     * refused at configuration time rather than on every request
     */

    if (ngx_http_oauth2_client_jws_sign(pkey, alg, probe, sizeof(probe) - 1,
                                        sig, &siglen, NULL, 0)
        != 0)
    {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen,
                                     "the DPoP key cannot sign (a public "
                                     "key?)");
        return -1;
    }

    if (EVP_PKEY_up_ref(pkey) != 1) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen, "EVP_PKEY_up_ref() failed");
        return -1;
    }

    dpop->pkey = pkey;
    dpop->alg = alg;

    if (ngx_http_oauth2_client_dpop_header(dpop, err, errlen) != 0
        || ngx_http_oauth2_client_jwk_thumbprint(pkey, dpop->jkt, err, errlen)
           != 0)
    {
        goto failed;
    }

    switch (alg) {

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES256:
        dpop->sig_max = 64;
        rc = ngx_http_oauth2_client_dpop_prepare(dpop, "SHA256", err,
                                                 errlen);
        break;

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES384:
        dpop->sig_max = 96;
        rc = ngx_http_oauth2_client_dpop_prepare(dpop, "SHA384", err,
                                                 errlen);
        break;

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES512:
        dpop->sig_max = 132;
        rc = ngx_http_oauth2_client_dpop_prepare(dpop, "SHA512", err,
                                                 errlen);
        break;

    default:
        dpop->sig_max = (size_t) EVP_PKEY_get_size(pkey);
        rc = 0;
    }

    if (rc == 0) {
        return 0;
    }

failed:

    ngx_http_oauth2_client_dpop_cleanup(dpop);

    return -1;
}


/* {"typ":"dpop+jwt","alg":"...","jwk":{...}}, base64url, and a '.' */

static int
ngx_http_oauth2_client_dpop_header(ngx_http_oauth2_client_dpop_t *dpop,
    char *err, size_t errlen)
{
    char        *jwk, *header, *p;
    size_t       jlen, hlen, nlen;
    const char  *name;

    jwk = ngx_http_oauth2_client_jwk_public(dpop->pkey, &jlen, err, errlen);
    if (jwk == NULL) {
        return -1;
    }

    name = ngx_http_oauth2_client_alg_name(dpop->alg);
    nlen = strlen(name);

    hlen = sizeof(ngx_http_oauth2_client_dpop_typ) - 1 + nlen
           + sizeof(ngx_http_oauth2_client_dpop_jwk) - 1 + jlen + 1;

    header = malloc(hlen);
    dpop->header = malloc(ngx_http_oauth2_client_base64url_encoded_len(hlen)
                          + 2);

    if (header == NULL || dpop->header == NULL) {
        free(header);
        free(jwk);
        ngx_http_oauth2_client_error(err, errlen, "malloc() failed");
        return -1;
    }

    p = header;
    p = ngx_dpop_cpy(p, ngx_http_oauth2_client_dpop_typ);
    memcpy(p, name, nlen);
    p += nlen;
    p = ngx_dpop_cpy(p, ngx_http_oauth2_client_dpop_jwk);
    memcpy(p, jwk, jlen);
    p += jlen;
    *p++ = '}';

    dpop->header_len = ngx_http_oauth2_client_base64url_encode(dpop->header,
                                      (unsigned char *) header, hlen);
    dpop->header[dpop->header_len++] = '.';
    dpop->header[dpop->header_len] = '\0';

    free(header);
    free(jwk);

    return 0;
}


/*
 * EVP_DigestSignInit() makes a new EVP_PKEY_CTX and fetches the
 * algorithm for every signature; a context made once and reused for
 * EVP_PKEY_sign() over our own digest leaves the signature alone.  The
 * context is copied into every worker by fork(); OpenSSL reseeds its
 * random generator, and so the ECDSA nonces, in a forked child.
 */

static int
ngx_http_oauth2_client_dpop_prepare(ngx_http_oauth2_client_dpop_t *dpop,
    const char *md, char *err, size_t errlen)
{
    dpop->md = EVP_MD_fetch(NULL, md, NULL);
    dpop->sign_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dpop->pkey, NULL);

    if (dpop->md == NULL || dpop->sign_ctx == NULL
        || EVP_PKEY_sign_init(dpop->sign_ctx) != 1
        || EVP_PKEY_CTX_set_signature_md(dpop->sign_ctx, dpop->md) != 1)
    {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen,
                                     "could not prepare the DPoP key for "
                                     "signing");
        return -1;
    }

    return 0;
}


/* as jws_sign() does for ES*, with the prepared context: JOSE r||s */

static int
ngx_http_oauth2_client_dpop_sign_ec(const ngx_http_oauth2_client_dpop_t *dpop,
    const unsigned char *input, size_t len, unsigned char *sig,
    size_t *siglen, char *err, size_t errlen)
{
    int                   rc;
    size_t                n, half;
    ECDSA_SIG            *es;
    unsigned int          dlen;
    const BIGNUM         *r, *s;
    const unsigned char  *p;
    unsigned char         digest[EVP_MAX_MD_SIZE];
    unsigned char         der[NGX_HTTP_OAUTH2_CLIENT_DPOP_SIG_MAX];

    n = sizeof(der);

    if (EVP_Digest(input, len, digest, &dlen, dpop->md, NULL) != 1
        || EVP_PKEY_sign(dpop->sign_ctx, der, &n, digest, dlen) != 1)
    {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen, "DPoP signature failed");
        return -1;
    }

    p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long) n);
    half = dpop->sig_max / 2;
    rc = -1;

    if (es != NULL && p == der + n) {
        ECDSA_SIG_get0(es, &r, &s);

        if (BN_bn2binpad(r, sig, (int) half) == (int) half
            && BN_bn2binpad(s, sig + half, (int) half) == (int) half)
        {
            *siglen = 2 * half;
            rc = 0;
        }
    }

    ECDSA_SIG_free(es);

    if (rc != 0) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen,
                                     "DPoP signature conversion failed");
    }

    return rc;
}


void
ngx_http_oauth2_client_dpop_cleanup(ngx_http_oauth2_client_dpop_t *dpop)
{
    if (dpop == NULL) {
        return;
    }

    EVP_PKEY_CTX_free(dpop->sign_ctx);
    EVP_MD_free(dpop->md);
    EVP_PKEY_free(dpop->pkey);
    free(dpop->header);

    memset(dpop, 0, sizeof(ngx_http_oauth2_client_dpop_t));
}


/* the length of the UTF-8 sequence at p (RFC 3629), 0 if invalid */

static size_t
ngx_http_oauth2_client_dpop_utf8(const unsigned char *p, size_t len)
{
    size_t         n, i;
    unsigned char  c, lo, hi;

    c = p[0];
    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;

        if (c == 0xe0) {
            lo = 0xa0;             /* overlong */

        } else if (c == 0xed) {
            hi = 0x9f;             /* surrogates */
        }

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;

        if (c == 0xf0) {
            lo = 0x90;             /* overlong */

        } else if (c == 0xf4) {
            hi = 0x8f;             /* above U+10FFFF */
        }

    } else {
        return 0;
    }

    if (len < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


size_t
ngx_http_oauth2_client_dpop_escape_len(const unsigned char *p, size_t len)
{
    size_t  i, n, seq;

    n = 0;

    for (i = 0; i < len; /* void */ ) {

        if (p[i] >= 0x80) {
            seq = ngx_http_oauth2_client_dpop_utf8(p + i, len - i);
            if (seq == 0) {
                return (size_t) -1;
            }

            i += seq;
            n += seq;
            continue;
        }

        if (p[i] == '\0') {
            return (size_t) -1;
        }

        if (p[i] == '"' || p[i] == '\\' || p[i] == '\b' || p[i] == '\f'
            || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')
        {
            n += 2;

        } else if (p[i] < 0x20) {
            n += 6;

        } else {
            n++;
        }

        i++;
    }

    return n;
}


/* p was accepted by dpop_escape_len() */

size_t
ngx_http_oauth2_client_dpop_escape(unsigned char *dst, const unsigned char *p,
    size_t len)
{
    size_t          i;
    unsigned char   c, *d;

    static const char  hex[] = "0123456789abcdef";

    d = dst;

    for (i = 0; i < len; i++) {
        c = p[i];

        switch (c) {

        case '"':
        case '\\':
            *d++ = '\\';
            *d++ = c;
            break;

        case '\b':
            *d++ = '\\';
            *d++ = 'b';
            break;

        case '\f':
            *d++ = '\\';
            *d++ = 'f';
            break;

        case '\n':
            *d++ = '\\';
            *d++ = 'n';
            break;

        case '\r':
            *d++ = '\\';
            *d++ = 'r';
            break;

        case '\t':
            *d++ = '\\';
            *d++ = 't';
            break;

        default:
            if (c < 0x20) {
                d = ngx_dpop_cpy(d, "\\u00");
                *d++ = hex[c >> 4];
                *d++ = hex[c & 0x0f];

            } else {
                *d++ = c;
            }
        }
    }

    return (size_t) (d - dst);
}


int
ngx_http_oauth2_client_dpop_nonce_valid(const unsigned char *p, size_t len)
{
    size_t  i;

    if (p == NULL || len == 0 || len > NGX_HTTP_OAUTH2_CLIENT_NONCE_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (p[i] < 0x21 || p[i] > 0x7e || p[i] == '"' || p[i] == '\\') {
            return 0;
        }
    }

    return 1;
}


size_t
ngx_http_oauth2_client_dpop_htu_len(const unsigned char *url, size_t len)
{
    size_t  i;

    if (url == NULL) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (url[i] == '?' || url[i] == '#') {
            break;
        }
    }

    return i;
}


int
ngx_http_oauth2_client_dpop_ath(const unsigned char *token, size_t len,
    char out[NGX_HTTP_OAUTH2_CLIENT_ATH_LEN + 1])
{
    unsigned char  md[32];

    if (token == NULL || out == NULL
        || EVP_Digest(token, len, md, NULL, EVP_sha256(), NULL) != 1)
    {
        ERR_clear_error();
        return -1;
    }

    out[ngx_http_oauth2_client_base64url_encode((unsigned char *) out, md,
                                                sizeof(md))] = '\0';

    return 0;
}


/* the longest claims these values make, or (size_t) -1 */

static size_t
ngx_http_oauth2_client_dpop_claims_len(
    const ngx_http_oauth2_client_dpop_claims_t *c, char *err, size_t errlen)
{
    size_t  n, htm, htu, i;

    if (c == NULL || c->htm == NULL || c->htu == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "DPoP proof without htm "
                                     "or htu");
        return (size_t) -1;
    }

    if (c->htm_len == 0 || c->htm_len > NGX_HTTP_OAUTH2_CLIENT_HTM_MAX
        || c->htu_len == 0 || c->htu_len > NGX_HTTP_OAUTH2_CLIENT_HTU_MAX)
    {
        ngx_http_oauth2_client_error(err, errlen,
                                     "DPoP htm of %zu or htu of %zu bytes: "
                                     "1 to %d and 1 to %d are accepted",
                                     c->htm_len, c->htu_len,
                                     NGX_HTTP_OAUTH2_CLIENT_HTM_MAX,
                                     NGX_HTTP_OAUTH2_CLIENT_HTU_MAX);
        return (size_t) -1;
    }

    htm = ngx_http_oauth2_client_dpop_escape_len(c->htm, c->htm_len);
    htu = ngx_http_oauth2_client_dpop_escape_len(c->htu, c->htu_len);

    if (htm == (size_t) -1 || htu == (size_t) -1) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "DPoP %s is not valid UTF-8 or holds a "
                                     "NUL", htm == (size_t) -1 ? "htm"
                                                               : "htu");
        return (size_t) -1;
    }

    n = sizeof("{\"htm\":\"") - 1 + htm
        + sizeof("\",\"htu\":\"") - 1 + htu
        + sizeof("\",\"iat\":") - 1 + NGX_HTTP_OAUTH2_CLIENT_DPOP_IAT_MAX
        + sizeof(",\"jti\":\"\"") - 1
        + ngx_http_oauth2_client_base64url_encoded_len(
                                        NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES)
        + 1;

    if (c->ath != NULL) {
        if (c->ath_len != NGX_HTTP_OAUTH2_CLIENT_ATH_LEN) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "DPoP ath of %zu characters, not "
                                         "%d", c->ath_len,
                                         NGX_HTTP_OAUTH2_CLIENT_ATH_LEN);
            return (size_t) -1;
        }

        for (i = 0; i < c->ath_len; i++) {
            if (!((c->ath[i] >= 'A' && c->ath[i] <= 'Z')
                  || (c->ath[i] >= 'a' && c->ath[i] <= 'z')
                  || (c->ath[i] >= '0' && c->ath[i] <= '9')
                  || c->ath[i] == '-' || c->ath[i] == '_'))
            {
                ngx_http_oauth2_client_error(err, errlen,
                                             "DPoP ath is not base64url");
                return (size_t) -1;
            }
        }

        n += sizeof(",\"ath\":\"\"") - 1 + c->ath_len;
    }

    if (c->nonce != NULL) {
        if (!ngx_http_oauth2_client_dpop_nonce_valid(c->nonce,
                                                     c->nonce_len))
        {
            ngx_http_oauth2_client_error(err, errlen,
                                         "invalid DPoP nonce (1 to %d "
                                         "visible characters, no quote or "
                                         "backslash)",
                                         NGX_HTTP_OAUTH2_CLIENT_NONCE_MAX);
            return (size_t) -1;
        }

        /* NQCHAR needs no escaping */
        n += sizeof(",\"nonce\":\"\"") - 1 + c->nonce_len;
    }

    return n;
}


static unsigned char *
ngx_http_oauth2_client_dpop_time(unsigned char *p, time_t t)
{
    unsigned char       *q;
    unsigned char        digits[NGX_HTTP_OAUTH2_CLIENT_DPOP_IAT_MAX];
    unsigned long long   v;

    /* a clock before 1970 is a broken clock: iat 0 */
    v = t > 0 ? (unsigned long long) t : 0;

    q = digits + sizeof(digits);

    do {
        *--q = (unsigned char) ('0' + v % 10);
        v /= 10;
    } while (v != 0);

    memcpy(p, q, (size_t) (digits + sizeof(digits) - q));

    return p + (digits + sizeof(digits) - q);
}


static unsigned char *
ngx_http_oauth2_client_dpop_claims(unsigned char *p,
    const ngx_http_oauth2_client_dpop_claims_t *c, const unsigned char *jti,
    size_t jtilen)
{
    p = ngx_dpop_cpy(p, "{\"htm\":\"");
    p += ngx_http_oauth2_client_dpop_escape(p, c->htm, c->htm_len);
    p = ngx_dpop_cpy(p, "\",\"htu\":\"");
    p += ngx_http_oauth2_client_dpop_escape(p, c->htu, c->htu_len);
    p = ngx_dpop_cpy(p, "\",\"iat\":");
    p = ngx_http_oauth2_client_dpop_time(p, c->iat);
    p = ngx_dpop_cpy(p, ",\"jti\":\"");
    memcpy(p, jti, jtilen);
    p += jtilen;
    *p++ = '"';

    if (c->ath != NULL) {
        p = ngx_dpop_cpy(p, ",\"ath\":\"");
        memcpy(p, c->ath, c->ath_len);
        p += c->ath_len;
        *p++ = '"';
    }

    if (c->nonce != NULL) {
        p = ngx_dpop_cpy(p, ",\"nonce\":\"");
        memcpy(p, c->nonce, c->nonce_len);
        p += c->nonce_len;
        *p++ = '"';
    }

    *p++ = '}';

    return p;
}


size_t
ngx_http_oauth2_client_dpop_proof_size(
    const ngx_http_oauth2_client_dpop_t *dpop,
    const ngx_http_oauth2_client_dpop_claims_t *claims)
{
    size_t  n;

    if (dpop == NULL || dpop->header == NULL) {
        return 0;
    }

    n = ngx_http_oauth2_client_dpop_claims_len(claims, NULL, 0);
    if (n == (size_t) -1) {
        return 0;
    }

    return dpop->header_len
           + ngx_http_oauth2_client_base64url_encoded_len(n) + 1
           + ngx_http_oauth2_client_base64url_encoded_len(dpop->sig_max) + 1;
}


int
ngx_http_oauth2_client_dpop_proof(const ngx_http_oauth2_client_dpop_t *dpop,
    const ngx_http_oauth2_client_dpop_claims_t *claims, unsigned char *buf,
    size_t size, size_t *len, char *err, size_t errlen)
{
    int             rc;
    size_t          n, need, siglen;
    unsigned char  *raw, *end, *p;
    unsigned char   jti[NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES];
    unsigned char   jti64[2 * NGX_HTTP_OAUTH2_CLIENT_JTI_BYTES];
    unsigned char   sig[NGX_HTTP_OAUTH2_CLIENT_DPOP_SIG_MAX];
    unsigned char   stack[NGX_HTTP_OAUTH2_CLIENT_DPOP_STACK];

    if (dpop == NULL || dpop->header == NULL || buf == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "dpop_proof() called without a DPoP "
                                     "key or a buffer");
        return -1;
    }

    n = ngx_http_oauth2_client_dpop_claims_len(claims, err, errlen);
    if (n == (size_t) -1) {
        return -1;
    }

    need = dpop->header_len
           + ngx_http_oauth2_client_base64url_encoded_len(n) + 1
           + ngx_http_oauth2_client_base64url_encoded_len(dpop->sig_max) + 1;

    if (size < need) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "DPoP proof buffer of %zu bytes, %zu "
                                     "are needed", size, need);
        return -1;
    }

    /* every proof is single-use: a new jti (RFC 9449 4.2, 11.1) */

    if (RAND_bytes(jti, sizeof(jti)) != 1) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen, "RAND_bytes() failed");
        return -1;
    }

    raw = n <= sizeof(stack) ? stack : malloc(n);
    if (raw == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "malloc(%zu) failed", n);
        return -1;
    }

    end = ngx_http_oauth2_client_dpop_claims(raw, claims, jti64,
              ngx_http_oauth2_client_base64url_encode(jti64, jti,
                                                      sizeof(jti)));

    p = buf;
    memcpy(p, dpop->header, dpop->header_len);
    p += dpop->header_len;
    p += ngx_http_oauth2_client_base64url_encode(p, raw,
                                                 (size_t) (end - raw));

    if (raw != stack) {
        free(raw);
    }

    if (dpop->sign_ctx != NULL) {
        rc = ngx_http_oauth2_client_dpop_sign_ec(dpop, buf,
                                                 (size_t) (p - buf), sig,
                                                 &siglen, err, errlen);

    } else {
        rc = ngx_http_oauth2_client_jws_sign(dpop->pkey, dpop->alg, buf,
                                             (size_t) (p - buf), sig,
                                             &siglen, err, errlen);
    }

    if (rc != 0) {
        return -1;
    }

    *p++ = '.';
    p += ngx_http_oauth2_client_base64url_encode(p, sig, siglen);
    *p = '\0';

    if (len != NULL) {
        *len = (size_t) (p - buf);
    }

    return 0;
}


EVP_PKEY *
ngx_http_oauth2_client_dpop_key_generate(char *err, size_t errlen)
{
    EVP_PKEY  *pkey;

    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    if (pkey == NULL) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen,
                                     "could not generate an EC P-256 key");
    }

    return pkey;
}
