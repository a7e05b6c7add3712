
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: the WWW-Authenticate parser that finds a resource
 * server's `DPoP error="use_dpop_nonce"`.  The header comes from the
 * network: the parser must not read past it, must keep its results
 * NUL-terminated inside their buffers, and may only say use_dpop_nonce
 * when it found a DPoP challenge whose error is exactly that.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_oauth2_client_challenge.h"


static int
ngx_fuzz_has_scheme(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i + 4 <= len; i++) {
        if ((p[i] | 0x20) == 'd' && (p[i + 1] | 0x20) == 'p'
            && (p[i + 2] | 0x20) == 'o' && (p[i + 3] | 0x20) == 'p')
        {
            return 1;
        }
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                                  rc;
    size_t                               i;
    unsigned char                       *copy;
    ngx_http_oauth2_client_challenge_t   ch;

    copy = malloc(size != 0 ? size : 1);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, data, size);

    memset(&ch, 0xaa, sizeof(ch));

    rc = ngx_http_oauth2_client_challenge_parse(copy, size, "DPoP", &ch);

    if (rc != 0 && rc != -1) {
        abort();
    }

    if (memchr(ch.error, '\0', sizeof(ch.error)) == NULL
        || memchr(ch.error_description, '\0',
                  sizeof(ch.error_description)) == NULL)
    {
        abort();
    }

    if (ch.use_dpop_nonce
        && (!ch.found || strcmp(ch.error, "use_dpop_nonce") != 0
            || ch.error_truncated))
    {
        abort();
    }

    if (ch.found && !ngx_fuzz_has_scheme(copy, size)) {
        abort();
    }

    if (!ch.found && (ch.error[0] != '\0' || ch.use_dpop_nonce)) {
        abort();
    }

    /* a description goes to the error log: one printable line */

    for (i = 0; ch.error_description[i] != '\0'; i++) {
        if (ch.error_description[i] < 0x20 || ch.error_description[i] > 0x7e)
        {
            abort();
        }
    }

    free(copy);

    return 0;
}
