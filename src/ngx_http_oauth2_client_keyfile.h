
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * A private key file in whichever form it comes: PEM (plain or
 * encrypted) or JWK/JWKS, told apart by the content.  No nginx types.
 *
 * ngx_http_oauth2_client_keyfile_format(data, len)
 *     NGX_HTTP_OAUTH2_CLIENT_KEYFILE_JWK when the first character after
 *     a UTF-8 byte order mark and white space is '{', _PEM when the data
 *     holds a "-----BEGIN " line, _UNKNOWN otherwise (DER, garbage).
 *
 * ngx_http_oauth2_client_keyfile_check(pkey, err, errlen)
 *     what the module accepts as a signing key, whatever the form: RSA
 *     of 2048 to 4096 bits or EC on P-256, P-384 or P-521, whose parts
 *     make one key (EVP_PKEY_check()); 0, or -1 with err set.
 *
 * ngx_http_oauth2_client_keyfile_parse(data, len, pass, passlen, kf, err,
 *     errlen)
 *     the key in data into kf: kf->pkey (new), kf->kid (malloc()ed, from
 *     a JWK, or NULL), kf->alg (from a JWK, or ALG_UNSET), kf->format,
 *     kf->encrypted (a PEM key that needed the passphrase; 0 for a JWK,
 *     so that a caller can tell an unused passphrase).  pass may be NULL
 *     (see ngx_http_oauth2_client_pem_parse()).  The key has passed
 *     keyfile_check().  0, or -1 with err set and kf zeroed.
 *
 * ngx_http_oauth2_client_keyfile_load(path, pass, passlen, kf, err, errlen)
 *     reads the file (at most NGX_HTTP_OAUTH2_CLIENT_FILE_MAX bytes,
 *     cleansed after use) and parses it as above; every message names
 *     the file.
 *
 * ngx_http_oauth2_client_keyfile_free(kf)
 *     frees kf->pkey and kf->kid and zeroes kf.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_KEYFILE_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_KEYFILE_H_INCLUDED_


#include <stddef.h>
#include <openssl/evp.h>


typedef enum {
    NGX_HTTP_OAUTH2_CLIENT_KEYFILE_UNKNOWN = 0,
    NGX_HTTP_OAUTH2_CLIENT_KEYFILE_PEM,
    NGX_HTTP_OAUTH2_CLIENT_KEYFILE_JWK
} ngx_http_oauth2_client_keyfile_format_e;


typedef struct {
    EVP_PKEY                     *pkey;
    char                         *kid;        /* a JWK's kid, or NULL */
    int                           alg;        /* a JWK's alg, or UNSET */
    int                           format;     /* keyfile_format_e */
    int                           encrypted;  /* the passphrase was used */
} ngx_http_oauth2_client_keyfile_t;


int ngx_http_oauth2_client_keyfile_format(const unsigned char *data,
    size_t len);
int ngx_http_oauth2_client_keyfile_check(EVP_PKEY *pkey, char *err,
    size_t errlen);
int ngx_http_oauth2_client_keyfile_parse(const unsigned char *data,
    size_t len, const unsigned char *pass, size_t passlen,
    ngx_http_oauth2_client_keyfile_t *kf, char *err, size_t errlen);
int ngx_http_oauth2_client_keyfile_load(const char *path,
    const unsigned char *pass, size_t passlen,
    ngx_http_oauth2_client_keyfile_t *kf, char *err, size_t errlen);
void ngx_http_oauth2_client_keyfile_free(ngx_http_oauth2_client_keyfile_t *kf);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_KEYFILE_H_INCLUDED_ */
