
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Token endpoint responses.  The body comes from the network: every type
 * is checked, and whatever the server says is cleaned before it can reach
 * a log line.  Nothing here takes an nginx type.
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_oauth2_client_json.h"


/*
 * Trailing data after the value is an error (no JSON_DISABLE_EOF_CHECK);
 * any JSON value is parsed so that "not a JSON object" is told apart
 * from bad syntax; NUL bytes are let through to the string checks,
 * which know lengths, so that they are reported for what they are.
 */
#define NGX_HTTP_OAUTH2_CLIENT_JSON_FLAGS                                   \
    (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)


static void ngx_http_oauth2_client_json_sanitize(char *dst, const char *src,
    size_t len);
static int ngx_http_oauth2_client_json_member(json_t *obj, const char *key,
    char *buf);
static int ngx_http_oauth2_client_json_is(const char *s, size_t len,
    const char *lower);
static void ngx_http_oauth2_client_json_http_error(unsigned status,
    const unsigned char *body, size_t len,
    ngx_http_oauth2_client_token_t *tok, char *err, size_t errlen);
static json_t *ngx_http_oauth2_client_json_load(const unsigned char *body,
    size_t len, char *err, size_t errlen);
static int ngx_http_oauth2_client_json_access_token(json_t *json,
    const char **token, size_t *tlen, char *err, size_t errlen);
static int ngx_http_oauth2_client_json_token_type(json_t *json, int *dpop,
    char *err, size_t errlen);
static int ngx_http_oauth2_client_json_expires_in(json_t *json,
    long long *expires_in, int *capped, char *err, size_t errlen);


/*
 * Only printable ASCII survives: a server must not be able to forge log
 * lines or send terminal escapes.  dst holds VALUE_MAX + 1 bytes.
 */

static void
ngx_http_oauth2_client_json_sanitize(char *dst, const char *src, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len > NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_MAX) {
        len = NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_MAX;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) src[i];
        dst[i] = (c >= 0x20 && c <= 0x7e) ? (char) c : '?';
    }

    dst[len] = '\0';
}


/* 1 and the sanitized value in buf if obj has a string member key */

static int
ngx_http_oauth2_client_json_member(json_t *obj, const char *key, char *buf)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (v == NULL || !json_is_string(v)) {
        return 0;
    }

    ngx_http_oauth2_client_json_sanitize(buf, json_string_value(v),
                                         json_string_length(v));

    return 1;
}


/* RFC 6749, section 5.1: token_type is case-insensitive */

static int
ngx_http_oauth2_client_json_is(const char *s, size_t len, const char *lower)
{
    size_t         i;
    unsigned char  c;

    if (len != strlen(lower)) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char) (c | 0x20);
        }

        if (c != (unsigned char) lower[i]) {
            return 0;
        }
    }

    return 1;
}


/*
 * An error response: the status and what the server says about it, in
 * OAuth 2.0 form (error, error_description), kept in tok for the backoff
 * to read, or in the form of Okta's management API (errorCode,
 * errorSummary), seen on 429, kept apart for the status.
 */

static void
ngx_http_oauth2_client_json_http_error(unsigned status,
    const unsigned char *body, size_t len,
    ngx_http_oauth2_client_token_t *tok, char *err, size_t errlen)
{
    int      has1, has2;
    char     v1[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    char     v2[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    json_t  *json;

    json = NULL;

    if (body != NULL && len != 0) {
        json = json_loadb((const char *) body, len,
                          NGX_HTTP_OAUTH2_CLIENT_JSON_FLAGS, NULL);
    }

    if (json == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "HTTP %u, non-JSON body",
                                     status);
        return;
    }

    if (!json_is_object(json)) {
        ngx_http_oauth2_client_error(err, errlen, "HTTP %u", status);
        goto done;
    }

    has1 = ngx_http_oauth2_client_json_member(json, "error", v1);
    has2 = ngx_http_oauth2_client_json_member(json, "error_description", v2);

    if (tok != NULL && has1) {
        memcpy(tok->error, v1, strlen(v1) + 1);
    }

    if (tok != NULL && has2) {
        memcpy(tok->error_description, v2, strlen(v2) + 1);
    }

    if (has1 && has2) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "HTTP %u, error \"%s\": \"%s\"",
                                     status, v1, v2);
        goto done;
    }

    if (has1) {
        ngx_http_oauth2_client_error(err, errlen, "HTTP %u, error \"%s\"",
                                     status, v1);
        goto done;
    }

    if (has2) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "HTTP %u, error_description \"%s\"",
                                     status, v2);
        goto done;
    }

    has1 = ngx_http_oauth2_client_json_member(json, "errorCode", v1);
    has2 = ngx_http_oauth2_client_json_member(json, "errorSummary", v2);

    if (tok != NULL && has1) {
        memcpy(tok->error_code, v1, strlen(v1) + 1);
    }

    if (tok != NULL && has2) {
        memcpy(tok->error_summary, v2, strlen(v2) + 1);
    }

    if (has1 && has2) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "HTTP %u, errorCode \"%s\": \"%s\"",
                                     status, v1, v2);

    } else if (has1) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "HTTP %u, errorCode \"%s\"",
                                     status, v1);

    } else if (has2) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "HTTP %u, errorSummary \"%s\"",
                                     status, v2);

    } else {
        ngx_http_oauth2_client_error(err, errlen, "HTTP %u", status);
    }

done:

    json_decref(json);
}


int
ngx_http_oauth2_client_token_chars_valid(const unsigned char *p, size_t len)
{
    size_t  i;

    if (p == NULL || len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (p[i] < 0x21 || p[i] > 0x7e) {
            return 0;
        }
    }

    return 1;
}


void
ngx_http_oauth2_client_token_fingerprint(const unsigned char *token,
    size_t len, char hex[9])
{
    size_t         i;
    unsigned int   mdlen;
    unsigned char  md[EVP_MAX_MD_SIZE];

    static const char  digits[] = "0123456789abcdef";

    if (EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        memcpy(hex, "unknown", sizeof("unknown"));
        return;
    }

    for (i = 0; i < 4; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0f];
    }

    hex[8] = '\0';
}


int
ngx_http_oauth2_client_token_parse(unsigned status,
    const unsigned char *body, size_t len,
    ngx_http_oauth2_client_token_t *tok, char *err, size_t errlen)
{
    int          rc, capped;
    json_t      *json, *v;
    size_t       tlen;
    long long    expires;
    const char  *token;

    if (err != NULL && errlen != 0) {
        err[0] = '\0';
    }

    if (tok != NULL) {
        tok->error[0] = '\0';
        tok->error_description[0] = '\0';
        tok->error_code[0] = '\0';
        tok->error_summary[0] = '\0';
    }

    if (status != 200) {
        ngx_http_oauth2_client_json_http_error(status, body, len, tok, err,
                                               errlen);
        return -1;
    }

    if (tok == NULL || tok->access_token == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no buffer for the token");
        return -1;
    }

    json = ngx_http_oauth2_client_json_load(body, len, err, errlen);
    if (json == NULL) {
        return -1;
    }

    rc = -1;

    if (!json_is_object(json)) {
        ngx_http_oauth2_client_error(err, errlen, "not a JSON object");

    } else if (ngx_http_oauth2_client_json_access_token(json, &token, &tlen,
                                                        err, errlen)
               == 0
               && ngx_http_oauth2_client_json_token_type(json, &tok->dpop,
                                                         err, errlen)
                  == 0
               && ngx_http_oauth2_client_json_expires_in(json, &expires,
                                                         &capped, err,
                                                         errlen)
                  == 0)
    {
        /* escapes only shrink JSON strings: tlen <= len, the buffer's */

        memcpy(tok->access_token, token, tlen);
        tok->access_token_len = tlen;
        tok->expires_in = expires;
        tok->expires_in_capped = capped;

        rc = 0;
    }

    /*
     * jansson's copy of the token would stay in freed heap memory: wipe
     * it before it is freed (its buffer is ours until json_decref()).
     */

    if (json_is_object(json)) {
        v = json_object_get(json, "access_token");

        if (v != NULL && json_is_string(v)) {
            OPENSSL_cleanse((char *) json_string_value(v),
                            json_string_length(v));
        }
    }

    json_decref(json);

    return rc;
}


/* the body as JSON, or NULL and why not, without quoting the body */

static json_t *
ngx_http_oauth2_client_json_load(const unsigned char *body, size_t len,
    char *err, size_t errlen)
{
    char          *cut;
    char           value[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    json_t        *json;
    json_error_t   jerr;

    if (body == NULL || len == 0) {
        ngx_http_oauth2_client_error(err, errlen, "empty body");
        return NULL;
    }

    json = json_loadb((const char *) body, len,
                      NGX_HTTP_OAUTH2_CLIENT_JSON_FLAGS, &jerr);
    if (json != NULL) {
        return json;
    }

#if (JANSSON_VERSION_HEX >= 0x020b00)
    if (json_error_code(&jerr) == json_error_duplicate_key) {
        ngx_http_oauth2_client_error(err, errlen, "duplicate key");
        return NULL;
    }
#endif

    /*
     * jansson quotes the text where it stopped ("near '...'"), which may
     * be a piece of the token: leave it out
     */

    cut = strstr(jerr.text, " near '");
    if (cut != NULL) {
        *cut = '\0';
    }

    ngx_http_oauth2_client_json_sanitize(value, jerr.text, strlen(jerr.text));
    ngx_http_oauth2_client_error(err, errlen, "invalid JSON: %s", value);

    return NULL;
}


/* access_token: it becomes a header value */

static int
ngx_http_oauth2_client_json_access_token(json_t *json, const char **token,
    size_t *tlen, char *err, size_t errlen)
{
    json_t  *v;

    v = json_object_get(json, "access_token");

    if (v == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no access_token");
        return -1;
    }

    if (!json_is_string(v)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "access_token is not a string");
        return -1;
    }

    *token = json_string_value(v);
    *tlen = json_string_length(v);

    if (*tlen == 0) {
        ngx_http_oauth2_client_error(err, errlen, "access_token is empty");
        return -1;
    }

    if (*tlen > NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "access_token is longer than %d bytes",
                                     NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX);
        return -1;
    }

    if (!ngx_http_oauth2_client_token_chars_valid(
                                   (const unsigned char *) *token, *tlen))
    {
        ngx_http_oauth2_client_error(err, errlen,
                                     "access_token has a character not "
                                     "allowed in a header value");
        return -1;
    }

    return 0;
}


/*
 * token_type: Bearer, or DPoP (RFC 9449 5), which *dpop tells; any other
 * type would be refused by the resource server anyway
 */

static int
ngx_http_oauth2_client_json_token_type(json_t *json, int *dpop, char *err,
    size_t errlen)
{
    char     value[NGX_HTTP_OAUTH2_CLIENT_JSON_VALUE_LEN];
    json_t  *v;

    v = json_object_get(json, "token_type");

    if (v == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no token_type");
        return -1;
    }

    if (!json_is_string(v)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "token_type is not a string");
        return -1;
    }

    *dpop = ngx_http_oauth2_client_json_is(json_string_value(v),
                                           json_string_length(v), "dpop");

    if (!*dpop
        && !ngx_http_oauth2_client_json_is(json_string_value(v),
                                           json_string_length(v), "bearer"))
    {
        ngx_http_oauth2_client_json_sanitize(value, json_string_value(v),
                                             json_string_length(v));
        ngx_http_oauth2_client_error(err, errlen,
                                     "token_type \"%s\" is neither Bearer "
                                     "nor DPoP", value);
        return -1;
    }

    return 0;
}


/* expires_in: the cache needs it, lifetimes are never guessed */

static int
ngx_http_oauth2_client_json_expires_in(json_t *json, long long *expires_in,
    int *capped, char *err, size_t errlen)
{
    json_t      *v;
    json_int_t   expires;

    v = json_object_get(json, "expires_in");

    if (v == NULL) {
        ngx_http_oauth2_client_error(err, errlen, "no expires_in");
        return -1;
    }

    if (!json_is_integer(v)) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "expires_in is not an integer");
        return -1;
    }

    expires = json_integer_value(v);

    if (expires <= 0) {
        ngx_http_oauth2_client_error(err, errlen,
                                     "expires_in must be positive");
        return -1;
    }

    *capped = 0;

    if (expires > NGX_HTTP_OAUTH2_CLIENT_EXPIRES_MAX) {
        expires = NGX_HTTP_OAUTH2_CLIENT_EXPIRES_MAX;
        *capped = 1;
    }

    *expires_in = (long long) expires;

    return 0;
}
