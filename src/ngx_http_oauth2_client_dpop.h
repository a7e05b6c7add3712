
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * DPoP proofs (RFC 9449): a compact JWS with the header {"typ":
 * "dpop+jwt","alg":...,"jwk":<public JWK>} and the claims htm, htu, iat,
 * jti, optionally ath and nonce.  A proof is made for every proxied
 * request, so what depends on the key only (the encoded header, the
 * signature size, the thumbprint) is computed once, by dpop_init(), and
 * a proof costs one signature, one RAND_bytes() and a few copies: no
 * jansson, no allocation unless the claims exceed 2 KB.  EC keys sign
 * through an EVP_PKEY_CTX prepared by dpop_init() (a new context per
 * signature, as jws_sign() makes, costs a quarter of the signature
 * again); RSA keys through jws_sign().  No nginx types.
 *
 * ngx_http_oauth2_client_dpop_init(dpop, pkey, alg, err, errlen)
 *     prepares dpop for the private key pkey (a reference is taken; the
 *     caller keeps its own) and alg (ALG_UNSET: the key's default, RS256
 *     or ES256/384/512): checks that alg fits the key and that the key
 *     signs (a public key does not), encodes the header, computes the
 *     thumbprint (dpop->jkt, for cache keys and cnf.jkt).  0, or -1
 *     with err set (dpop is then zeroed).
 *
 * ngx_http_oauth2_client_dpop_cleanup(dpop)
 *     frees what dpop_init() allocated and zeroes dpop.
 *
 * ngx_http_oauth2_client_dpop_proof_size(dpop, claims)
 *     bytes a proof for these claims needs at most, its NUL included; 0
 *     when the claims cannot make a proof (see dpop_proof()).
 *
 * ngx_http_oauth2_client_dpop_proof(dpop, claims, buf, size, len, err,
 *     errlen)
 *     writes a new proof, NUL-terminated, into buf (size bytes, from
 *     dpop_proof_size()); *len its length without the NUL.  A new
 *     128-bit jti every time.  htm and htu are escaped for JSON (they
 *     must be valid UTF-8 without NUL); nonce, when given, must pass
 *     dpop_nonce_valid(); ath, when given, is dpop_ath()'s output.
 *     0, or -1 with err set.
 *
 * ngx_http_oauth2_client_dpop_ath(token, len, out)
 *     base64url(SHA-256(token)), 43 characters and a NUL, the "ath" of
 *     a proof sent with that access token; 0 or -1.
 *
 * ngx_http_oauth2_client_dpop_htu_len(url, len)
 *     the length of url without its query and fragment, the part that
 *     goes into "htu" (RFC 9449 4.2).
 *
 * ngx_http_oauth2_client_dpop_nonce_valid(p, len)
 *     1 if p is a DPoP-Nonce value: 1*NQCHAR (%x21 / %x23-5B / %x5D-7E)
 *     of at most NGX_HTTP_OAUTH2_CLIENT_NONCE_MAX bytes; else 0.
 *
 * ngx_http_oauth2_client_dpop_escape_len(p, len),
 * ngx_http_oauth2_client_dpop_escape(dst, p, len)
 *     the JSON string escaping of p (without quotes): its length, or
 *     (size_t) -1 when p is not valid UTF-8 or holds a NUL; and the
 *     escaping itself into dst, returning the bytes written.
 *
 * ngx_http_oauth2_client_dpop_key_generate(err, errlen)
 *     a new EC P-256 private key (for DPoP when no key file is given);
 *     the caller frees it; NULL with err set.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_DPOP_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_DPOP_H_INCLUDED_


#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_jwk.h"


/* the longest DPoP-Nonce accepted from a server */
#define NGX_HTTP_OAUTH2_CLIENT_NONCE_MAX       1024

/* the longest htm and htu accepted */
#define NGX_HTTP_OAUTH2_CLIENT_HTM_MAX         64
#define NGX_HTTP_OAUTH2_CLIENT_HTU_MAX         8192

/* base64url of SHA-256, without the NUL */
#define NGX_HTTP_OAUTH2_CLIENT_ATH_LEN         43


typedef struct {
    EVP_PKEY                     *pkey;       /* our reference */
    int                           alg;
    size_t                        sig_max;    /* longest signature, bytes */

    /* EC keys: a signing context prepared once, and its digest */
    EVP_PKEY_CTX                 *sign_ctx;
    EVP_MD                       *md;

    unsigned char                *header;     /* base64url header and '.' */
    size_t                        header_len;
    char                          jkt[NGX_HTTP_OAUTH2_CLIENT_JKT_LEN + 1];
} ngx_http_oauth2_client_dpop_t;


typedef struct {
    const unsigned char          *htm;        /* "POST", "GET", ... */
    size_t                        htm_len;
    const unsigned char          *htu;        /* without query, fragment */
    size_t                        htu_len;
    const unsigned char          *nonce;      /* NULL: no nonce claim */
    size_t                        nonce_len;
    const unsigned char          *ath;        /* NULL: no ath claim */
    size_t                        ath_len;
    time_t                        iat;
} ngx_http_oauth2_client_dpop_claims_t;


int ngx_http_oauth2_client_dpop_init(ngx_http_oauth2_client_dpop_t *dpop,
    EVP_PKEY *pkey, int alg, char *err, size_t errlen);
void ngx_http_oauth2_client_dpop_cleanup(ngx_http_oauth2_client_dpop_t *dpop);
size_t ngx_http_oauth2_client_dpop_proof_size(
    const ngx_http_oauth2_client_dpop_t *dpop,
    const ngx_http_oauth2_client_dpop_claims_t *claims);
int ngx_http_oauth2_client_dpop_proof(
    const ngx_http_oauth2_client_dpop_t *dpop,
    const ngx_http_oauth2_client_dpop_claims_t *claims, unsigned char *buf,
    size_t size, size_t *len, char *err, size_t errlen);
int ngx_http_oauth2_client_dpop_ath(const unsigned char *token, size_t len,
    char out[NGX_HTTP_OAUTH2_CLIENT_ATH_LEN + 1]);
size_t ngx_http_oauth2_client_dpop_htu_len(const unsigned char *url,
    size_t len);
int ngx_http_oauth2_client_dpop_nonce_valid(const unsigned char *p,
    size_t len);
size_t ngx_http_oauth2_client_dpop_escape_len(const unsigned char *p,
    size_t len);
size_t ngx_http_oauth2_client_dpop_escape(unsigned char *dst,
    const unsigned char *p, size_t len);
EVP_PKEY *ngx_http_oauth2_client_dpop_key_generate(char *err, size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_DPOP_H_INCLUDED_ */
