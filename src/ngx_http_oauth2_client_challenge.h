
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * WWW-Authenticate (RFC 9110 11.6.1) challenges of one scheme: a
 * resource server that wants a DPoP nonce answers 401 with
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"` (RFC 9449 9), maybe
 * beside a Bearer challenge, with other parameters, quoted or not.  No
 * nginx types.
 *
 * ngx_http_oauth2_client_challenge_parse(p, len, scheme, ch)
 *     reads one header value (1#challenge) and fills ch for the first
 *     challenge of scheme (case-insensitive): ch->found; its "error"
 *     and "error_description" parameters unquoted into ch->error and
 *     ch->error_description (NUL-terminated; a longer value is cut and
 *     its *_truncated flag set; bytes outside 0x20..0x7e of a
 *     description are '?'); ch->use_dpop_nonce when the error is
 *     exactly "use_dpop_nonce".  Returns 0, or -1 when the value is
 *     malformed: ch then holds what was found before the fault.  A
 *     caller with several WWW-Authenticate headers calls it for each.
 */


#ifndef _NGX_HTTP_OAUTH2_CLIENT_CHALLENGE_H_INCLUDED_
#define _NGX_HTTP_OAUTH2_CLIENT_CHALLENGE_H_INCLUDED_


#include <stddef.h>


typedef struct {
    unsigned                      found:1;
    unsigned                      use_dpop_nonce:1;
    unsigned                      error_truncated:1;
    unsigned                      description_truncated:1;
    char                          error[64];
    char                          error_description[256];
} ngx_http_oauth2_client_challenge_t;


int ngx_http_oauth2_client_challenge_parse(const unsigned char *p,
    size_t len, const char *scheme, ngx_http_oauth2_client_challenge_t *ch);


#endif /* _NGX_HTTP_OAUTH2_CLIENT_CHALLENGE_H_INCLUDED_ */
