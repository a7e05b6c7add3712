
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: token endpoint responses.  The body is whatever the
 * token endpoint (or anything between it and us) sends, so it is the
 * module's widest door for outside bytes.
 *
 * Input: the first byte picks the HTTP status, '0'..'4' giving 200, 400,
 * 401, 429 and 500 (any other byte is taken modulo 5), so that the seed
 * files stay readable; the rest is the body.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_oauth2_client_json.h"


static const unsigned  ngx_fuzz_statuses[] = { 200, 400, 401, 429, 500 };


/*
 * The error message goes to the error log as it is: it must end inside
 * the buffer and carry nothing but printable ASCII, or a server could
 * forge log lines or send terminal escapes.
 */

static void
ngx_fuzz_check_err(const char *err, size_t errlen)
{
    size_t  i;

    for (i = 0; i < errlen; i++) {
        if (err[i] == '\0') {
            break;
        }

        if ((unsigned char) err[i] < 0x20 || (unsigned char) err[i] > 0x7e) {
            abort();
        }
    }

    if (i == errlen) {
        abort();
    }

    /* a failure without a reason would leave an empty log message */

    if (i == 0) {
        abort();
    }
}


static void
ngx_fuzz_check_value(const char *v, size_t size)
{
    size_t  i;

    for (i = 0; i < size && v[i] != '\0'; i++) {
        if ((unsigned char) v[i] < 0x20 || (unsigned char) v[i] > 0x7e) {
            abort();
        }
    }

    if (i == size) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                              rc;
    char                             err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    size_t                           len;
    unsigned                         status;
    unsigned char                   *buf;
    const unsigned char             *body;
    ngx_http_oauth2_client_token_t   tok;

    if (size == 0) {
        return 0;
    }

    status = ngx_fuzz_statuses[(unsigned char) (data[0] - '0') % 5];
    body = data + 1;
    len = size - 1;

    /*
     * The caller promises a token buffer of the body's length, no more:
     * an exact-size heap block lets ASan catch a token copied past it.
     * malloc(0) may give NULL, which the parser refuses for another
     * reason, so an empty body still gets a (never written) byte.
     */

    buf = malloc(len != 0 ? len : 1);
    if (buf == NULL) {
        return 0;
    }

    memset(&tok, 0xaa, sizeof(tok));
    tok.access_token = buf;
    tok.expires_in = -1;
    tok.expires_in_capped = -1;

    /* garbage, not zeros, so that a missing terminator is noticed */
    memset(err, 0xaa, sizeof(err));

    rc = ngx_http_oauth2_client_token_parse(status, len != 0 ? body : NULL,
                                            len, &tok, err, sizeof(err));

    if (rc == 0) {

        /* only a 200 response carries a token */

        if (status != 200) {
            abort();
        }

        if (tok.access_token != buf
            || tok.access_token_len == 0
            || tok.access_token_len > NGX_HTTP_OAUTH2_CLIENT_TOKEN_MAX
            || tok.access_token_len > len)
        {
            abort();
        }

        if (!ngx_http_oauth2_client_token_chars_valid(tok.access_token,
                                                      tok.access_token_len))
        {
            abort();
        }

        if (tok.expires_in < 1
            || tok.expires_in > NGX_HTTP_OAUTH2_CLIENT_EXPIRES_MAX)
        {
            abort();
        }

        if (tok.expires_in_capped != 0 && tok.expires_in_capped != 1) {
            abort();
        }

        /* capping only ever brings the lifetime down to the maximum */

        if (tok.expires_in_capped
            && tok.expires_in != NGX_HTTP_OAUTH2_CLIENT_EXPIRES_MAX)
        {
            abort();
        }

        /* the success path clears the message left by an earlier call */

        if (err[0] != '\0') {
            abort();
        }

    } else if (rc == -1) {
        ngx_fuzz_check_err(err, sizeof(err));

        /*
         * The OAuth 2.0 fields are read by the backoff and may be
         * logged: terminated, printable ASCII, "" when not given
         */

        ngx_fuzz_check_value(tok.error, sizeof(tok.error));
        ngx_fuzz_check_value(tok.error_description,
                             sizeof(tok.error_description));

    } else {
        abort();
    }

    free(buf);

    return 0;
}
