
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * libFuzzer target: the strict reader of the Prometheus text format
 * (t/unit/prom_check.c), the parser the unit tests and fuzz_status
 * judge the status output with, on any bytes.  It must not read past
 * the input (the input is copied into a buffer of its exact length, so
 * a byte read beyond is an ASan report), leak, or loop; it must give the
 * same answer twice; a text it accepts is plain ASCII lines each ending
 * with "\n", with at most one sample a line; a text it refuses gets a
 * NUL-terminated reason ("line N: why") that fits the buffer given,
 * however small.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prom_check.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char    *text, err[256], small[8];
    long     n, again, lines;
    size_t   i;

    text = malloc(size != 0 ? size : 1);
    if (text == NULL) {
        return 0;
    }

    memcpy(text, data, size);

    memset(err, 'x', sizeof(err));
    n = ngx_http_oauth2_client_prom_check(text, size, err, sizeof(err));

    memset(small, 'x', sizeof(small));
    again = ngx_http_oauth2_client_prom_check(text, size, small,
                                              sizeof(small));

    if (again != n) {
        abort();
    }

    if (n < 0) {
        if (memchr(err, '\0', sizeof(err)) == NULL
            || memchr(small, '\0', sizeof(small)) == NULL)
        {
            abort();
        }

        free(text);
        return 0;
    }

    if (size != 0 && text[size - 1] != '\n') {
        abort();
    }

    lines = 0;

    for (i = 0; i < size; i++) {
        if ((unsigned char) text[i] > 0x7e
            || ((unsigned char) text[i] < 0x20 && text[i] != '\n'))
        {
            abort();
        }

        lines += (text[i] == '\n');
    }

    if (n > lines) {
        abort();
    }

    free(text);
    return 0;
}
