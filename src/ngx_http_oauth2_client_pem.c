
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * PEM private keys, encrypted ones included.  See
 * ngx_http_oauth2_client_pem.h.
 */


#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_pem.h"


typedef struct {
    const unsigned char          *pass;
    size_t                        passlen;
    unsigned                      asked:1;
    unsigned                      too_long:1;
} ngx_http_oauth2_client_pem_pass_t;


static int ngx_http_oauth2_client_pem_password(char *buf, int size,
    int rwflag, void *data);
static int ngx_http_oauth2_client_pem_find(const unsigned char *data,
    size_t len, const char *s);
static int ngx_http_oauth2_client_pem_is_encrypted(const unsigned char *data,
    size_t len);


/*
 * OpenSSL asks for the passphrase through this callback only: with no
 * callback it would prompt on the terminal, which must never happen in
 * a daemon.  Without a passphrase the answer is a refusal, remembered to
 * explain the failure.
 */

static int
ngx_http_oauth2_client_pem_password(char *buf, int size, int rwflag,
    void *data)
{
    ngx_http_oauth2_client_pem_pass_t  *pp;

    (void) rwflag;

    pp = data;
    pp->asked = 1;

    if (pp->pass == NULL) {
        return -1;
    }

    if (size < 0 || pp->passlen > (size_t) size) {
        pp->too_long = 1;
        return -1;
    }

    memcpy(buf, pp->pass, pp->passlen);

    return (int) pp->passlen;
}


static int
ngx_http_oauth2_client_pem_find(const unsigned char *data, size_t len,
    const char *s)
{
    size_t  i, n;

    n = strlen(s);

    for (i = 0; n <= len && i <= len - n; i++) {
        if (data[i] == (unsigned char) s[0] && memcmp(data + i, s, n) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
ngx_http_oauth2_client_pem_is_encrypted(const unsigned char *data,
    size_t len)
{
    return ngx_http_oauth2_client_pem_find(data, len,
                                   "-----BEGIN ENCRYPTED PRIVATE KEY-----")
           || ngx_http_oauth2_client_pem_find(data, len,
                                              "Proc-Type: 4,ENCRYPTED");
}


EVP_PKEY *
ngx_http_oauth2_client_pem_parse(const unsigned char *data, size_t len,
    const unsigned char *pass, size_t passlen, int *encrypted, char *err,
    size_t errlen)
{
    BIO                                *bio;
    EVP_PKEY                           *pkey;
    const char                         *reason;
    unsigned long                       e;
    ngx_http_oauth2_client_pem_pass_t   pp;

    if (encrypted != NULL) {
        *encrypted = 0;
    }

    if (data == NULL || len == 0) {
        ngx_http_oauth2_client_error(err, errlen, "no key data");
        return NULL;
    }

    if (len > INT_MAX) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "key data of %zu bytes is too big", len);
        return NULL;
    }

    if (pass != NULL && passlen > NGX_HTTP_OAUTH2_CLIENT_PASS_MAX) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the passphrase is too long: %zu bytes, "
                                     "at most %d are supported", passlen,
                                     NGX_HTTP_OAUTH2_CLIENT_PASS_MAX);
        return NULL;
    }

    memset(&pp, 0, sizeof(pp));
    pp.pass = pass;
    pp.passlen = passlen;

    bio = BIO_new_mem_buf(data, (int) len);
    if (bio == NULL) {
        ERR_clear_error();
        ngx_http_oauth2_client_error(err, errlen, "BIO_new_mem_buf() failed");
        return NULL;
    }

    ERR_set_mark();

    pkey = PEM_read_bio_PrivateKey(bio, NULL,
                                   ngx_http_oauth2_client_pem_password, &pp);

    e = ERR_peek_last_error();
    reason = e != 0 ? ERR_reason_error_string(e) : NULL;

    /* the decoders leave errors behind even when one of them succeeds */
    ERR_pop_to_mark();

    BIO_free(bio);

    if (encrypted != NULL) {
        *encrypted = pp.asked
                     || ngx_http_oauth2_client_pem_is_encrypted(data, len);
    }

    if (pkey != NULL) {
        return pkey;
    }

    if (pp.too_long) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the passphrase is too long for "
                                     "OpenSSL");

    } else if (pp.asked && pass == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the private key is encrypted and no "
                                     "passphrase was given");

    } else if (pp.asked) {
        /*
         * a wrong passphrase mostly gives "bad decrypt", but once in 256
         * the padding looks right and the ASN.1 decoder fails instead
         */
        ngx_http_oauth2_client_error(err, errlen,
                                     "the private key could not be "
                                     "decrypted: wrong passphrase (%s)",
                                     reason != NULL ? reason
                                                    : "no reason given");

    } else if (ngx_http_oauth2_client_pem_is_encrypted(data, len)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "the encrypted private key could not "
                                     "be read (damaged or an unsupported "
                                     "cipher?)");

    } else if (ngx_http_oauth2_client_pem_find(data, len, "CERTIFICATE-----")
               || ngx_http_oauth2_client_pem_find(data, len,
                                                  "PUBLIC KEY-----"))
    {
        ngx_http_oauth2_client_error(err, errlen,
                                     "no private key found (a certificate "
                                     "or public key?)");

    } else {
        ngx_http_oauth2_client_error(err, errlen,
                                     "no PEM private key found");
    }

    return NULL;
}
