
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: base64url (RFC 7515, section 2).  The decoder is
 * strict by design, so that every byte string has exactly one encoding;
 * this target holds it to that in both directions:
 *
 *   - the input as text: whatever decodes must re-encode to the very
 *     same text, and the decoder must stay inside a buffer of the size
 *     the text can decode to at most;
 *
 *   - the input as bytes: the encoding must decode back to them, and
 *     be exactly base64url_encoded_len() characters of the alphabet.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_oauth2_client_encode.h"


static int
ngx_fuzz_b64url_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z')
           || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '_';
}


static void
ngx_fuzz_decode(const uint8_t *data, size_t size)
{
    size_t          n, max, elen;
    unsigned char  *dec, *enc;

    /*
     * Four characters give three bytes, a tail of two or three gives one
     * or two: exactly size * 3 / 4.  The buffer is that and not a byte
     * more, so ASan sees a decoder writing before it has seen the error.
     */

    max = size * 3 / 4;

    dec = malloc(max != 0 ? max : 1);
    if (dec == NULL) {
        return;
    }

    n = ngx_http_oauth2_client_base64url_decode(dec, data, size);

    if (n == (size_t) -1) {
        free(dec);
        return;
    }

    /* the decoded length is a function of the text's length alone */

    if (n != max) {
        abort();
    }

    elen = ngx_http_oauth2_client_base64url_encoded_len(n);

    if (elen != size) {
        abort();
    }

    enc = malloc(elen != 0 ? elen : 1);
    if (enc == NULL) {
        free(dec);
        return;
    }

    if (ngx_http_oauth2_client_base64url_encode(enc, dec, n) != elen) {
        abort();
    }

    if (elen != 0 && memcmp(enc, data, elen) != 0) {
        abort();
    }

    free(enc);
    free(dec);
}


static void
ngx_fuzz_encode(const uint8_t *data, size_t size)
{
    size_t          i, n, elen;
    unsigned char  *enc, *dec;

    elen = ngx_http_oauth2_client_base64url_encoded_len(size);

    /* no padding: 4 characters per 3 bytes, and 2 or 3 for the rest */

    if (elen != (size * 4 + 2) / 3) {
        abort();
    }

    enc = malloc(elen != 0 ? elen : 1);
    if (enc == NULL) {
        return;
    }

    if (ngx_http_oauth2_client_base64url_encode(enc, data, size) != elen) {
        abort();
    }

    for (i = 0; i < elen; i++) {
        if (!ngx_fuzz_b64url_char(enc[i])) {
            abort();
        }
    }

    dec = malloc(size != 0 ? size : 1);
    if (dec == NULL) {
        free(enc);
        return;
    }

    n = ngx_http_oauth2_client_base64url_decode(dec, enc, elen);

    if (n != size) {
        abort();
    }

    if (size != 0 && memcmp(dec, data, size) != 0) {
        abort();
    }

    free(dec);
    free(enc);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ngx_fuzz_decode(data, size);
    ngx_fuzz_encode(data, size);

    return 0;
}
