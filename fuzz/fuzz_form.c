
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: application/x-www-form-urlencoded encoding of the
 * token request (the scope and the client assertion).  The encoder is
 * sized by form_encoded_len() first and written second, so the two must
 * agree byte for byte, or the request body is cut or overrun.  The
 * output must also mean the same thing to the token endpoint: only
 * unreserved characters, '+' and %XX, decoding back to the input.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_oauth2_client_encode.h"


/* RFC 3986, section 2.3 */

static int
ngx_fuzz_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z')
           || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '.' || c == '_' || c == '~';
}


/* uppercase only: RFC 3986, section 2.1, says producers should use it */

static int
ngx_fuzz_hex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/*
 * The decoding a form parser does (WHATWG URL, "urlencoded parsing"),
 * strict about what the encoder may give: -1 on anything else.
 */

static size_t
ngx_fuzz_form_decode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    int     hi, lo;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {

        if (ngx_fuzz_unreserved(src[i])) {
            dst[n++] = src[i];
            continue;
        }

        if (src[i] == '+') {
            dst[n++] = ' ';
            continue;
        }

        if (src[i] != '%' || len - i < 3) {
            return (size_t) -1;
        }

        hi = ngx_fuzz_hex(src[i + 1]);
        lo = ngx_fuzz_hex(src[i + 2]);

        if (hi < 0 || lo < 0) {
            return (size_t) -1;
        }

        dst[n++] = (unsigned char) (hi << 4 | lo);
        i += 2;
    }

    return n;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          elen, n;
    unsigned char  *enc, *dec;

    elen = ngx_http_oauth2_client_form_encoded_len(data, size);

    /* each byte becomes one character or three */

    if (elen < size || elen > size * 3) {
        abort();
    }

    /* exactly the announced size: ASan reports a byte written past it */

    enc = malloc(elen != 0 ? elen : 1);
    if (enc == NULL) {
        return 0;
    }

    if (ngx_http_oauth2_client_form_encode(enc, data, size) != elen) {
        abort();
    }

    /* the decoded form is never longer than the encoded one */

    dec = malloc(elen != 0 ? elen : 1);
    if (dec == NULL) {
        free(enc);
        return 0;
    }

    n = ngx_fuzz_form_decode(dec, enc, elen);

    if (n == (size_t) -1) {
        /* a '%' without two hex digits, or a byte that needed escaping */
        abort();
    }

    if (n != size || (size != 0 && memcmp(dec, data, size) != 0)) {
        abort();
    }

    /*
     * Unreserved bytes pass as they are: an input of nothing else must
     * come out unchanged (the check above already shows that the other
     * bytes were escaped, or decoding would not have given them back).
     */

    for (n = 0; n < size && ngx_fuzz_unreserved(data[n]); n++) {
        /* void */
    }

    if (n == size && (elen != size || (size != 0
                                       && memcmp(enc, data, size) != 0)))
    {
        abort();
    }

    free(dec);
    free(enc);

    return 0;
}
