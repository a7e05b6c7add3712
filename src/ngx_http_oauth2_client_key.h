
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Private keys.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_KEY_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_KEY_H_INCLUDED_


#include <stddef.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"


/* private keys: PEM (PKCS#8, PKCS#1, SEC1), unencrypted */
EVP_PKEY *ngx_http_oauth2_client_key_parse(const unsigned char *data,
    size_t len, char *err, size_t errlen);
EVP_PKEY *ngx_http_oauth2_client_key_load(const char *path, char *err,
    size_t errlen);
/* as key_load(), and the permission bits of the file read, in *mode */
EVP_PKEY *ngx_http_oauth2_client_key_read(const char *path, unsigned *mode,
    char *err, size_t errlen);
int ngx_http_oauth2_client_key_default_alg(EVP_PKEY *pkey, char *err,
    size_t errlen);
int ngx_http_oauth2_client_key_check_alg(EVP_PKEY *pkey, int alg, char *err,
    size_t errlen);
int ngx_http_oauth2_client_key_fingerprint(EVP_PKEY *pkey,
    unsigned char out[32]);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_KEY_H_INCLUDED_ */
