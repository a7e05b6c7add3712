
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Error messages of the nginx-free code: every function there reports
 * its failures into a caller's buffer, OpenSSL's reason appended where
 * there is one.  Nothing here takes an nginx type.
 */


#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "ngx_http_oauth2_client_error.h"


/* every function here reports its failures through this */

void
ngx_http_oauth2_client_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    (void) vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


/*
 * The reason OpenSSL gives is appended to the message; the queue is then
 * emptied so that the next user of the library does not find our errors.
 */

void
ngx_http_oauth2_client_ssl_error(char *err, size_t errlen, const char *what)
{
    char           reason[256];
    unsigned long  e;

    e = ERR_peek_last_error();

    if (e != 0) {
        ERR_error_string_n(e, reason, sizeof(reason));
        ngx_http_oauth2_client_error(err, errlen, "%s failed (%s)", what,
                                     reason);

    } else {
        ngx_http_oauth2_client_error(err, errlen, "%s failed", what);
    }

    ERR_clear_error();
}
