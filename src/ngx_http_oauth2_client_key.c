
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Private keys: reading the PEM file, telling the common mistakes apart
 * (an encrypted key, a JWK, a certificate), and matching a key to a JWS
 * algorithm.  Nothing here takes an nginx type.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_alg.h"
#include "ngx_http_oauth2_client_key.h"


/* far more than any PEM private key needs */
#define NGX_HTTP_OAUTH2_CLIENT_KEY_FILE_MAX    (1024 * 1024)

#define NGX_HTTP_OAUTH2_CLIENT_RSA_BITS_MIN    2048

/* the signing buffer holds a 4096-bit signature at most */
#define NGX_HTTP_OAUTH2_CLIENT_RSA_BITS_MAX    4096


static int ngx_http_oauth2_client_key_password(char *buf, int size,
    int rwflag, void *data);
static int ngx_http_oauth2_client_key_find(const unsigned char *data,
    size_t len, const char *s);
static int ngx_http_oauth2_client_key_curve(EVP_PKEY *pkey, char *name,
    size_t size);
static void ngx_http_oauth2_client_key_describe(EVP_PKEY *pkey, char *buf,
    size_t size);
static void ngx_http_oauth2_client_key_not_found(const unsigned char *data,
    size_t len, int encrypted, char *err, size_t errlen);
static int ngx_http_oauth2_client_key_usable(EVP_PKEY *pkey, char *err,
    size_t errlen);


/*
 * Keys are read when nginx starts, where nobody can type a passphrase:
 * refuse, and note that a passphrase was asked for to explain the failure.
 */

static int
ngx_http_oauth2_client_key_password(char *buf, int size, int rwflag,
    void *data)
{
    (void) buf;
    (void) size;
    (void) rwflag;

    *(int *) data = 1;

    return -1;
}


static int
ngx_http_oauth2_client_key_find(const unsigned char *data, size_t len,
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


/*
 * The size of the curve of an EC key: 256, 384 or 521 for the NIST
 * curves JWS knows, 0 for any other; name gets OpenSSL's name for it.
 */

static int
ngx_http_oauth2_client_key_curve(EVP_PKEY *pkey, char *name, size_t size)
{
    size_t  len;

    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                       name, size, &len)
        != 1)
    {
        /* explicit curve parameters, or a name too long for the buffer */
        ERR_clear_error();
        (void) snprintf(name, size, "(unnamed)");
        return 0;
    }

    if (strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0) {
        return 256;
    }

    if (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0) {
        return 384;
    }

    if (strcmp(name, "secp521r1") == 0 || strcmp(name, "P-521") == 0) {
        return 521;
    }

    return 0;
}


/* "RSA", "EC P-256", ... for messages */

static void
ngx_http_oauth2_client_key_describe(EVP_PKEY *pkey, char *buf, size_t size)
{
    int          bits;
    char         name[64];
    const char  *type;

    switch (EVP_PKEY_get_base_id(pkey)) {

    case EVP_PKEY_RSA:
        (void) snprintf(buf, size, "RSA");
        return;

    case EVP_PKEY_EC:
        bits = ngx_http_oauth2_client_key_curve(pkey, name, sizeof(name));

        if (bits != 0) {
            (void) snprintf(buf, size, "EC P-%d", bits);

        } else {
            (void) snprintf(buf, size, "EC %s", name);
        }

        return;

    default:
        type = EVP_PKEY_get0_type_name(pkey);
        (void) snprintf(buf, size, "%s", type != NULL ? type : "unknown");
        return;
    }
}


EVP_PKEY *
ngx_http_oauth2_client_key_parse(const unsigned char *data, size_t len,
    char *err, size_t errlen)
{
    int        encrypted;
    BIO       *bio;
    size_t     i;
    EVP_PKEY  *pkey;

    if (data == NULL) {
        len = 0;
    }

    if (len > NGX_HTTP_OAUTH2_CLIENT_KEY_FILE_MAX) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "key data of %zu bytes is too big",
                                     len);
        return NULL;
    }

    /* the Admin Console offers JWK and PEM: say which one to take */

    for (i = 0; i < len; i++) {
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r'
            && data[i] != '\n')
        {
            break;
        }
    }

    if (i < len && data[i] == '{') {
        ngx_http_oauth2_client_error(err, errlen,
                                     "JWK key files are not supported, "
                                     "use the PEM form");
        return NULL;
    }

    pkey = NULL;
    encrypted = 0;

    if (len != 0) {
        bio = BIO_new_mem_buf(data, (int) len);
        if (bio == NULL) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "BIO_new_mem_buf() failed");
            ERR_clear_error();
            return NULL;
        }

        pkey = PEM_read_bio_PrivateKey(bio, NULL,
                                       ngx_http_oauth2_client_key_password,
                                       &encrypted);
        BIO_free(bio);
    }

    /* the decoders may leave errors behind even when they succeed */
    ERR_clear_error();

    if (pkey == NULL) {
        ngx_http_oauth2_client_key_not_found(data, len, encrypted, err,
                                             errlen);
        return NULL;
    }

    if (ngx_http_oauth2_client_key_usable(pkey, err, errlen) != 0) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return NULL;
    }

    return pkey;
}


/* no key in the data: say what is there instead */

static void
ngx_http_oauth2_client_key_not_found(const unsigned char *data, size_t len,
    int encrypted, char *err, size_t errlen)
{
    if (encrypted
        || ngx_http_oauth2_client_key_find(data, len,
                                       "-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || ngx_http_oauth2_client_key_find(data, len,
                                           "Proc-Type: 4,ENCRYPTED"))
    {
        ngx_http_oauth2_client_error(err, errlen,
                                     "encrypted private keys are not "
                                     "supported");

    } else if (ngx_http_oauth2_client_key_find(data, len, "CERTIFICATE-----")
               || ngx_http_oauth2_client_key_find(data, len,
                                                  "PUBLIC KEY-----"))
    {
        ngx_http_oauth2_client_error(err, errlen,
                                     "no private key found (a certificate "
                                     "or public key?)");

    } else {
        ngx_http_oauth2_client_error(err, errlen,
                                     "no PEM private key found");
    }
}


/* RSA keys of 2048 to 4096 bits, EC keys on P-256, P-384, P-521 */

static int
ngx_http_oauth2_client_key_usable(EVP_PKEY *pkey, char *err, size_t errlen)
{
    int          bits;
    char         name[64];
    const char  *type;

    switch (EVP_PKEY_get_base_id(pkey)) {

    case EVP_PKEY_RSA:
        bits = EVP_PKEY_get_bits(pkey);

        if (bits < NGX_HTTP_OAUTH2_CLIENT_RSA_BITS_MIN) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "RSA key of %d bits is too short, "
                                         "at least %d are required", bits,
                                         NGX_HTTP_OAUTH2_CLIENT_RSA_BITS_MIN);
            return -1;
        }

        if (bits > NGX_HTTP_OAUTH2_CLIENT_RSA_BITS_MAX) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "RSA key of %d bits is too long, "
                                         "at most %d are supported", bits,
                                         NGX_HTTP_OAUTH2_CLIENT_RSA_BITS_MAX);
            return -1;
        }

        return 0;

    case EVP_PKEY_EC:
        if (ngx_http_oauth2_client_key_curve(pkey, name, sizeof(name)) == 0) {
            ngx_http_oauth2_client_error(err, errlen,
                                         "EC key on curve %s is not "
                                         "supported, only P-256, P-384 "
                                         "and P-521 are", name);
            return -1;
        }

        return 0;

    default:
        type = EVP_PKEY_get0_type_name(pkey);
        ngx_http_oauth2_client_error(err, errlen,
                                     "unsupported key type %s, only RSA "
                                     "and EC keys are supported",
                                     type != NULL ? type : "(unknown)");
        return -1;
    }
}


EVP_PKEY *
ngx_http_oauth2_client_key_load(const char *path, char *err, size_t errlen)
{
    return ngx_http_oauth2_client_key_read(path, NULL, err, errlen);
}


EVP_PKEY *
ngx_http_oauth2_client_key_read(const char *path, unsigned *mode, char *err,
    size_t errlen)
{
    int             fd, e;
    size_t          n, size;
    ssize_t         rd;
    EVP_PKEY       *pkey;
    struct stat     st;
    unsigned char  *buf;

    if (path == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no key file");
        return NULL;
    }

    fd = open(path, O_RDONLY);
    if (fd == -1) {
        e = errno;
        ngx_http_oauth2_client_error(err, errlen,
                                     "open() \"%s\" failed: %s",
                                     path, strerror(e));
        return NULL;
    }

    pkey = NULL;
    buf = NULL;
    size = 0;

    if (fstat(fd, &st) == -1) {
        e = errno;
        ngx_http_oauth2_client_error(err, errlen,
                                     "fstat() \"%s\" failed: %s",
                                     path, strerror(e));
        goto done;
    }

    if (mode != NULL) {
        *mode = (unsigned) (st.st_mode & 07777);
    }

    if (!S_ISREG(st.st_mode)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "\"%s\" is not a regular file",
                                     path);
        goto done;
    }

    if (st.st_size > NGX_HTTP_OAUTH2_CLIENT_KEY_FILE_MAX) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "\"%s\" is too big: %lld bytes, at "
                                     "most %d are allowed", path,
                                     (long long) st.st_size,
                                     NGX_HTTP_OAUTH2_CLIENT_KEY_FILE_MAX);
        goto done;
    }

    if (st.st_size == 0) {
        ngx_http_oauth2_client_error(err, errlen, "\"%s\" is empty",
                                     path);
        goto done;
    }

    size = (size_t) st.st_size;

    buf = malloc(size);
    if (buf == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "malloc(%zu) failed", size);
        goto done;
    }

    /* a file that shrank while being read is parsed as far as it goes */

    n = 0;

    while (n < size) {
        rd = read(fd, buf + n, size - n);

        if (rd == -1) {
            e = errno;

            if (e == EINTR) {
                continue;
            }

            ngx_http_oauth2_client_error(err, errlen,
                                         "read() \"%s\" failed: %s",
                                         path, strerror(e));
            goto done;
        }

        if (rd == 0) {
            break;
        }

        n += (size_t) rd;
    }

    pkey = ngx_http_oauth2_client_key_parse(buf, n, err, errlen);

done:

    (void) close(fd);

    if (buf != NULL) {
        OPENSSL_cleanse(buf, size);
        free(buf);
    }

    return pkey;
}


int
ngx_http_oauth2_client_key_default_alg(EVP_PKEY *pkey, char *err,
    size_t errlen)
{
    char  name[64];

    if (pkey == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no private key");
        return NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET;
    }

    switch (EVP_PKEY_get_base_id(pkey)) {

    case EVP_PKEY_RSA:
        return NGX_HTTP_OAUTH2_CLIENT_ALG_RS256;

    case EVP_PKEY_EC:
        switch (ngx_http_oauth2_client_key_curve(pkey, name, sizeof(name))) {

        case 256:
            return NGX_HTTP_OAUTH2_CLIENT_ALG_ES256;

        case 384:
            return NGX_HTTP_OAUTH2_CLIENT_ALG_ES384;

        case 521:
            return NGX_HTTP_OAUTH2_CLIENT_ALG_ES512;

        default:
            ngx_http_oauth2_client_error(err, errlen,
                                         "EC key on curve %s is not "
                                         "supported, only P-256, P-384 "
                                         "and P-521 are", name);
            return NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET;
        }

    default:
        ngx_http_oauth2_client_key_describe(pkey, name, sizeof(name));
        ngx_http_oauth2_client_error(err, errlen,
                                     "unsupported key type %s, only RSA "
                                     "and EC keys are supported", name);
        return NGX_HTTP_OAUTH2_CLIENT_ALG_UNSET;
    }
}


int
ngx_http_oauth2_client_key_check_alg(EVP_PKEY *pkey, int alg, char *err,
    size_t errlen)
{
    int          bits;
    char         curve[64];
    char         desc[80];
    const char  *name;

    name = ngx_http_oauth2_client_alg_name(alg);
    if (name == NULL) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "unknown signing_alg %d", alg);
        return -1;
    }

    if (pkey == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no private key");
        return -1;
    }

    switch (alg) {

    case NGX_HTTP_OAUTH2_CLIENT_ALG_RS256:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_RS384:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_RS512:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_PS256:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_PS384:
    case NGX_HTTP_OAUTH2_CLIENT_ALG_PS512:

        if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
            return 0;
        }

        ngx_http_oauth2_client_key_describe(pkey, desc, sizeof(desc));
        ngx_http_oauth2_client_error(err, errlen,
                                     "signing_alg %s needs an RSA key, "
                                     "the key is %s", name, desc);
        return -1;

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES256:
        bits = 256;
        break;

    case NGX_HTTP_OAUTH2_CLIENT_ALG_ES384:
        bits = 384;
        break;

    default: /* NGX_HTTP_OAUTH2_CLIENT_ALG_ES512 */
        bits = 521;
        break;
    }

    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC
        && ngx_http_oauth2_client_key_curve(pkey, curve, sizeof(curve))
           == bits)
    {
        return 0;
    }

    ngx_http_oauth2_client_key_describe(pkey, desc, sizeof(desc));
    ngx_http_oauth2_client_error(err, errlen,
                                 "signing_alg %s needs an EC P-%d key, "
                                 "the key is %s", name, bits, desc);
    return -1;
}


int
ngx_http_oauth2_client_key_fingerprint(EVP_PKEY *pkey, unsigned char out[32])
{
    int             n, rc;
    unsigned char  *der;

    if (pkey == NULL || out == NULL) {
        return -1;
    }

    der = NULL;

    n = i2d_PUBKEY(pkey, &der);
    if (n <= 0) {
        ERR_clear_error();
        return -1;
    }

    rc = 0;

    if (EVP_Digest(der, (size_t) n, out, NULL, EVP_sha256(), NULL) != 1) {
        ERR_clear_error();
        rc = -1;
    }

    OPENSSL_free(der);

    return rc;
}
