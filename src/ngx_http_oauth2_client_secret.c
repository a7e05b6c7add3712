
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * client_secret_basic and client_secret_post.  See
 * ngx_http_oauth2_client_secret.h.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_encode.h"
#include "ngx_http_oauth2_client_secret.h"


static int ngx_http_oauth2_client_secret_check(const unsigned char *id,
    size_t idlen, const unsigned char *secret, size_t slen, int need_secret,
    char *err, size_t errlen);


static int
ngx_http_oauth2_client_secret_check(const unsigned char *id, size_t idlen,
    const unsigned char *secret, size_t slen, int need_secret, char *err,
    size_t errlen)
{
    if (id == NULL || idlen == 0) {
        ngx_http_oauth2_client_error(err, errlen, "no client_id");
        return -1;
    }

    if ((need_secret || secret != NULL) && (secret == NULL || slen == 0)) {
        ngx_http_oauth2_client_error(err, errlen, "no client secret");
        return -1;
    }

    if (idlen > NGX_HTTP_OAUTH2_CLIENT_SECRET_MAX
        || slen > NGX_HTTP_OAUTH2_CLIENT_SECRET_MAX)
    {
        ngx_http_oauth2_client_error(err, errlen,
                                     "a client_id or secret longer than %d "
                                     "bytes",
                                     NGX_HTTP_OAUTH2_CLIENT_SECRET_MAX);
        return -1;
    }

    return 0;
}


/*
 * Many servers decode the Basic credentials with a form decoder, so
 * RFC 6749 2.3.1 encodes both parts first; an unencoded ':' in the id
 * or '%' in the secret would otherwise be read wrongly.
 */

char *
ngx_http_oauth2_client_secret_basic(const unsigned char *id, size_t idlen,
    const unsigned char *secret, size_t slen, size_t *len, char *err,
    size_t errlen)
{
    int             n;
    char           *out;
    size_t          plen, size;
    unsigned char  *plain, *p;

    static const char  basic[] = "Basic ";

    if (ngx_http_oauth2_client_secret_check(id, idlen, secret, slen, 1, err,
                                            errlen)
        != 0)
    {
        return NULL;
    }

    plen = ngx_http_oauth2_client_form_encoded_len(id, idlen) + 1
           + ngx_http_oauth2_client_form_encoded_len(secret, slen);

    plain = malloc(plen);
    size = sizeof(basic) - 1 + 4 * ((plen + 2) / 3) + 1;
    out = malloc(size);

    if (plain == NULL || out == NULL) {
        free(plain);
        free(out);
        ngx_http_oauth2_client_error(err, errlen, "malloc() failed");
        return NULL;
    }

    p = plain;
    p += ngx_http_oauth2_client_form_encode(p, id, idlen);
    *p++ = ':';
    p += ngx_http_oauth2_client_form_encode(p, secret, slen);

    memcpy(out, basic, sizeof(basic) - 1);

    /* standard base64 with padding (RFC 7617), NUL-terminated */
    n = EVP_EncodeBlock((unsigned char *) out + sizeof(basic) - 1, plain,
                        (int) plen);

    OPENSSL_cleanse(plain, plen);
    free(plain);

    if (len != NULL) {
        *len = sizeof(basic) - 1 + (size_t) n;
    }

    return out;
}


char *
ngx_http_oauth2_client_secret_post(const unsigned char *id, size_t idlen,
    const unsigned char *secret, size_t slen, size_t *len, char *err,
    size_t errlen)
{
    char           *out;
    size_t          size;
    unsigned char  *p;

    static const char  cid[] = "client_id=";
    static const char  csecret[] = "&client_secret=";

    if (ngx_http_oauth2_client_secret_check(id, idlen, secret, slen, 0, err,
                                            errlen)
        != 0)
    {
        return NULL;
    }

    size = sizeof(cid) - 1 + ngx_http_oauth2_client_form_encoded_len(id, idlen)
           + 1;

    if (secret != NULL) {
        size += sizeof(csecret) - 1
                + ngx_http_oauth2_client_form_encoded_len(secret, slen);
    }

    out = malloc(size);
    if (out == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "malloc(%zu) failed", size);
        return NULL;
    }

    p = (unsigned char *) out;

    memcpy(p, cid, sizeof(cid) - 1);
    p += sizeof(cid) - 1;
    p += ngx_http_oauth2_client_form_encode(p, id, idlen);

    if (secret != NULL) {
        memcpy(p, csecret, sizeof(csecret) - 1);
        p += sizeof(csecret) - 1;
        p += ngx_http_oauth2_client_form_encode(p, secret, slen);
    }

    *p = '\0';

    if (len != NULL) {
        *len = (size_t) (p - (unsigned char *) out);
    }

    return out;
}
