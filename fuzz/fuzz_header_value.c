
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: token_chars_valid(), the check that stands between
 * a token from the network and the Authorization header sent upstream.
 * A byte it lets through wrongly (CR, LF, NUL, a space, 8-bit) could
 * split or smuggle a header, so it is compared against the plainest
 * statement of the rule that can be written.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_oauth2_client_json.h"


/* one or more visible ASCII characters, VCHAR of RFC 5234: 0x21..0x7e */

static int
ngx_fuzz_reference(const unsigned char *p, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!(p[i] >= '!' && p[i] <= '~')) {
            return 0;
        }
    }

    return 1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             got;
    size_t          i;
    unsigned char  *copy;

    /*
     * An exact-size copy: libFuzzer's buffer is exact too, but the copy
     * keeps the check independent of how the driver hands data over.
     */

    copy = malloc(size != 0 ? size : 1);
    if (copy == NULL) {
        return 0;
    }

    if (size != 0) {
        memcpy(copy, data, size);
    }

    got = ngx_http_oauth2_client_token_chars_valid(copy, size);

    if (got != ngx_fuzz_reference(copy, size)) {
        abort();
    }

    /* every prefix too: the length, not a terminator, bounds the scan */

    for (i = 0; i <= size && i <= 64; i++) {
        if (ngx_http_oauth2_client_token_chars_valid(copy, i)
            != ngx_fuzz_reference(copy, i))
        {
            abort();
        }
    }

    /* and the documented answer for no value at all */

    if (ngx_http_oauth2_client_token_chars_valid(NULL, size) != 0) {
        abort();
    }

    free(copy);

    return 0;
}
