
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: the DPoP-Nonce check and the JSON string escaper of
 * DPoP proofs.  A nonce comes from the network and goes into every proof
 * the workers sign, so dpop_nonce_valid() is compared with the plainest
 * statement of RFC 9449's grammar; the escaper (which writes htu and
 * nonce into the claims) is compared with jansson: whatever it accepts
 * must decode back to the same bytes, and whatever it refuses must be
 * invalid UTF-8 or hold a NUL.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ngx_http_oauth2_client_dpop.h"


/* 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E, bounded */

static int
ngx_fuzz_reference(const unsigned char *p, size_t len)
{
    size_t  i;

    if (len == 0 || len > NGX_HTTP_OAUTH2_CLIENT_NONCE_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!(p[i] == 0x21 || (p[i] >= 0x23 && p[i] <= 0x5b)
              || (p[i] >= 0x5d && p[i] <= 0x7e)))
        {
            return 0;
        }
    }

    return 1;
}


static void
ngx_fuzz_escape(const unsigned char *p, size_t len)
{
    size_t          n;
    json_t         *json;
    json_error_t    jerr;
    unsigned char  *out;

    n = ngx_http_oauth2_client_dpop_escape_len(p, len);

    if (n == (size_t) -1) {
        /* refused: jansson must refuse it as a JSON string too */
        out = malloc(len + 2);
        if (out == NULL) {
            return;
        }

        out[0] = '"';
        memcpy(out + 1, p, len);
        out[len + 1] = '"';

        /* quotes and backslashes inside would end or escape early */
        if (memchr(p, '"', len) == NULL && memchr(p, '\\', len) == NULL
            && memchr(p, '\0', len) == NULL)
        {
            json = json_loadb((const char *) out, len + 2,
                              JSON_DECODE_ANY, &jerr);
            /* without a NUL the refusal was for invalid UTF-8 */
            if (json != NULL && json_is_string(json)) {
                abort();
            }

            json_decref(json);
        }

        free(out);
        return;
    }

    out = malloc(n + 2);
    if (out == NULL) {
        return;
    }

    out[0] = '"';

    if (ngx_http_oauth2_client_dpop_escape(out + 1, p, len) != n) {
        abort();
    }

    out[n + 1] = '"';

    json = json_loadb((const char *) out, n + 2, JSON_DECODE_ANY, &jerr);

    if (json == NULL || !json_is_string(json)
        || json_string_length(json) != len
        || memcmp(json_string_value(json), p, len) != 0)
    {
        abort();
    }

    json_decref(json);
    free(out);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char  *copy;

    /* an exact-size copy, so that ASan sees a read one byte too far */

    copy = malloc(size != 0 ? size : 1);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, data, size);

    if (ngx_http_oauth2_client_dpop_nonce_valid(copy, size)
        != ngx_fuzz_reference(copy, size))
    {
        abort();
    }

    ngx_fuzz_escape(copy, size);

    free(copy);

    return 0;
}
