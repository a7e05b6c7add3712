
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * Error messages of the nginx-free files.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_ERROR_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_ERROR_H_INCLUDED_


#include <stddef.h>


/* size of the error buffers passed to every nginx-free function */
#define NGX_HTTP_OAUTH2_CLIENT_ERRLEN          512


/* formats a message into err, as snprintf() does; err may be NULL */
void ngx_http_oauth2_client_error(char *err, size_t errlen, const char *fmt,
    ...);

/* "<what> failed (<OpenSSL's reason>)"; empties OpenSSL's error queue */
void ngx_http_oauth2_client_ssl_error(char *err, size_t errlen,
    const char *what);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_ERROR_H_INCLUDED_ */
