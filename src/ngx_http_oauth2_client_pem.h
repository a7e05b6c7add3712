
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * PEM private keys, encrypted or not: PKCS#8 ("PRIVATE KEY",
 * "ENCRYPTED PRIVATE KEY"), PKCS#1 and SEC1 ("RSA PRIVATE KEY",
 * "EC PRIVATE KEY"), also with the legacy "Proc-Type: 4,ENCRYPTED"
 * header.  No nginx types.  OpenSSL never prompts on a terminal: the
 * passphrase comes from the caller or not at all.
 *
 * ngx_http_oauth2_client_pem_parse(data, len, pass, passlen, encrypted,
 *     err, errlen)
 *     the first private key in data; pass (passlen bytes, any bytes, at
 *     most NGX_HTTP_OAUTH2_CLIENT_PASS_MAX) decrypts it, NULL means "no
 *     passphrase".  *encrypted (may be NULL) tells whether the key was
 *     encrypted, so that a caller can warn about a passphrase given for
 *     a plain key.  Returns a new EVP_PKEY the caller frees, or NULL
 *     with err set: no key, a certificate or public key only, encrypted
 *     without a passphrase, a wrong passphrase.  The key is not checked
 *     for type or size: ngx_http_oauth2_client_keyfile_check() does.
 *     OpenSSL's copies of the passphrase and of the decrypted key are
 *     cleansed by OpenSSL; ours are cleansed here; data and pass are the
 *     caller's to cleanse.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_PEM_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_PEM_H_INCLUDED_


#include <stddef.h>
#include <openssl/evp.h>


/* OpenSSL's PEM passphrase buffer is 1024 bytes (PEM_BUFSIZE) */
#define NGX_HTTP_OAUTH2_CLIENT_PASS_MAX        1023


EVP_PKEY *ngx_http_oauth2_client_pem_parse(const unsigned char *data,
    size_t len, const unsigned char *pass, size_t passlen, int *encrypted,
    char *err, size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_PEM_H_INCLUDED_ */
