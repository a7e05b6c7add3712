
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * The client certificate beside a private key: its thumbprints for the
 * "x5t" / "x5t#S256" assertion header (RFC 7515 4.1.7, 4.1.8; Microsoft
 * Entra ID's certificate credentials) and the check that it is the
 * key's.  No nginx types.
 *
 * ngx_http_oauth2_client_cert_parse(data, len, err, errlen)
 *     the first certificate of PEM data (other blocks, a private key
 *     included, are skipped); a new X509 the caller frees; NULL with err
 *     set.
 *
 * ngx_http_oauth2_client_cert_load(path, err, errlen)
 *     the same from a file; messages name the file.
 *
 * ngx_http_oauth2_client_cert_thumbprints(x, x5t, x5t_s256)
 *     base64url of the SHA-1 (27 characters) and of the SHA-256 (43) of
 *     the DER certificate, NUL-terminated; either buffer may be NULL.
 *     0 or -1.
 *
 * ngx_http_oauth2_client_cert_check_key(x, pkey, err, errlen)
 *     0 when the certificate's public key is pkey's; -1 with err set.
 *
 * ngx_http_oauth2_client_cert_check_time(x, now, err, errlen)
 *     0 while now is within the certificate's validity; 1 with err set
 *     when it is not yet valid or expired (a warning for the caller to
 *     give); -1 on failure.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_CERT_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_CERT_H_INCLUDED_


#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>


/* base64url of a SHA-1 and of a SHA-256 digest, without the NUL */
#define NGX_HTTP_OAUTH2_CLIENT_X5T_LEN         27
#define NGX_HTTP_OAUTH2_CLIENT_X5T_S256_LEN    43


X509 *ngx_http_oauth2_client_cert_parse(const unsigned char *data,
    size_t len, char *err, size_t errlen);
X509 *ngx_http_oauth2_client_cert_load(const char *path, char *err,
    size_t errlen);
int ngx_http_oauth2_client_cert_thumbprints(X509 *x,
    char *x5t, char *x5t_s256);
int ngx_http_oauth2_client_cert_check_key(X509 *x, EVP_PKEY *pkey,
    char *err, size_t errlen);
int ngx_http_oauth2_client_cert_check_time(X509 *x, time_t now, char *err,
    size_t errlen);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_CERT_H_INCLUDED_ */
