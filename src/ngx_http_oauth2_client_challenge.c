
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * WWW-Authenticate challenges.  See ngx_http_oauth2_client_challenge.h.
 *
 *   WWW-Authenticate = #challenge
 *   challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param  = token BWS "=" BWS ( token / quoted-string )
 *   token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
 *                 *"="
 *
 * A list element after a comma is a parameter of the challenge before
 * it when it is "token =", and a new challenge otherwise.
 */


#include <string.h>

#include "ngx_http_oauth2_client_challenge.h"


typedef struct {
    const unsigned char          *p;
    size_t                        len;
    size_t                        i;
} ngx_http_oauth2_client_challenge_in_t;


static int ngx_http_oauth2_client_challenge_tchar(unsigned char c);
static int ngx_http_oauth2_client_challenge_t68(unsigned char c);
static void ngx_http_oauth2_client_challenge_ows(
    ngx_http_oauth2_client_challenge_in_t *in);
static size_t ngx_http_oauth2_client_challenge_token(
    ngx_http_oauth2_client_challenge_in_t *in);
static int ngx_http_oauth2_client_challenge_token68(
    ngx_http_oauth2_client_challenge_in_t *in);
static int ngx_http_oauth2_client_challenge_ieq(const unsigned char *p,
    size_t len, const char *s);
static int ngx_http_oauth2_client_challenge_value(
    ngx_http_oauth2_client_challenge_in_t *in, char *out, size_t size,
    int sanitize, unsigned *truncated);
static int ngx_http_oauth2_client_challenge_param(
    ngx_http_oauth2_client_challenge_in_t *in, const unsigned char *name,
    size_t nlen, ngx_http_oauth2_client_challenge_t *ch, int ours);


/* RFC 9110 5.6.2 */

static int
ngx_http_oauth2_client_challenge_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9'))
    {
        return 1;
    }

    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}


static int
ngx_http_oauth2_client_challenge_t68(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~' || c == '+' || c == '/';
}


static void
ngx_http_oauth2_client_challenge_ows(ngx_http_oauth2_client_challenge_in_t *in)
{
    while (in->i < in->len && (in->p[in->i] == ' ' || in->p[in->i] == '\t')) {
        in->i++;
    }
}


static size_t
ngx_http_oauth2_client_challenge_token(
    ngx_http_oauth2_client_challenge_in_t *in)
{
    size_t  start;

    start = in->i;

    while (in->i < in->len
           && ngx_http_oauth2_client_challenge_tchar(in->p[in->i]))
    {
        in->i++;
    }

    return in->i - start;
}


/*
 * A token68 right after the scheme: it must end the element, so that
 * "realm=x" stays a parameter.  1 (consumed), 0 (not a token68).
 */

static int
ngx_http_oauth2_client_challenge_token68(
    ngx_http_oauth2_client_challenge_in_t *in)
{
    size_t  j, start;

    j = in->i;
    start = j;

    while (j < in->len && ngx_http_oauth2_client_challenge_t68(in->p[j])) {
        j++;
    }

    if (j == start) {
        return 0;
    }

    while (j < in->len && in->p[j] == '=') {
        j++;
    }

    while (j < in->len && (in->p[j] == ' ' || in->p[j] == '\t')) {
        j++;
    }

    if (j < in->len && in->p[j] != ',') {
        return 0;
    }

    in->i = j;

    return 1;
}


static int
ngx_http_oauth2_client_challenge_ieq(const unsigned char *p, size_t len,
    const char *s)
{
    size_t         i;
    unsigned char  a, b;

    if (strlen(s) != len) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        a = p[i];
        b = (unsigned char) s[i];

        if (a >= 'A' && a <= 'Z') {
            a |= 0x20;
        }

        if (b >= 'A' && b <= 'Z') {
            b |= 0x20;
        }

        if (a != b) {
            return 0;
        }
    }

    return 1;
}


/*
 * token / quoted-string, unquoted into out when out is not NULL;
 * 0, or -1 if malformed
 */

static int
ngx_http_oauth2_client_challenge_value(
    ngx_http_oauth2_client_challenge_in_t *in, char *out, size_t size,
    int sanitize, unsigned *truncated)
{
    size_t         n, start;
    unsigned char  c;

    n = 0;

    if (in->i < in->len && in->p[in->i] != '"') {
        start = in->i;

        if (ngx_http_oauth2_client_challenge_token(in) == 0) {
            return -1;
        }

        for ( /* void */ ; start < in->i; start++) {
            if (out != NULL) {
                if (n + 1 < size) {
                    out[n++] = (char) in->p[start];

                } else {
                    *truncated = 1;
                }
            }
        }

        goto done;
    }

    if (in->i == in->len) {
        return -1;
    }

    in->i++;

    for ( ;; ) {
        if (in->i == in->len) {
            return -1;
        }

        c = in->p[in->i++];

        if (c == '"') {
            break;
        }

        if (c == '\\') {
            if (in->i == in->len) {
                return -1;
            }

            c = in->p[in->i++];

            /* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */

            if (c != '\t' && (c < 0x20 || c == 0x7f)) {
                return -1;
            }

        } else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
            /* qdtext has no control characters */
            return -1;
        }

        if (out != NULL) {
            if (n + 1 < size) {
                out[n++] = (sanitize && (c < 0x20 || c > 0x7e)) ? '?'
                                                                : (char) c;

            } else {
                *truncated = 1;
            }
        }
    }

done:

    if (out != NULL) {
        out[n] = '\0';
    }

    return 0;
}


/* after "name": BWS "=" BWS value, recorded when the challenge is ours */

static int
ngx_http_oauth2_client_challenge_param(
    ngx_http_oauth2_client_challenge_in_t *in, const unsigned char *name,
    size_t nlen, ngx_http_oauth2_client_challenge_t *ch, int ours)
{
    int        rc;
    unsigned   truncated;

    ngx_http_oauth2_client_challenge_ows(in);

    if (in->i == in->len || in->p[in->i] != '=') {
        return -1;
    }

    in->i++;
    ngx_http_oauth2_client_challenge_ows(in);

    /* the first error and description of the challenge count */

    if (ours && ch->error[0] == '\0' && !ch->error_truncated
        && ngx_http_oauth2_client_challenge_ieq(name, nlen, "error"))
    {
        truncated = 0;
        rc = ngx_http_oauth2_client_challenge_value(in, ch->error,
                                                    sizeof(ch->error), 0,
                                                    &truncated);
        ch->error_truncated = truncated;
        ch->use_dpop_nonce = rc == 0 && !truncated
                             && strcmp(ch->error, "use_dpop_nonce") == 0;
        return rc;
    }

    if (ours && ch->error_description[0] == '\0'
        && !ch->description_truncated
        && ngx_http_oauth2_client_challenge_ieq(name, nlen,
                                                "error_description"))
    {
        truncated = 0;
        rc = ngx_http_oauth2_client_challenge_value(in,
                                            ch->error_description,
                                            sizeof(ch->error_description), 1,
                                            &truncated);
        ch->description_truncated = truncated;
        return rc;
    }

    return ngx_http_oauth2_client_challenge_value(in, NULL, 0, 0, NULL);
}


int
ngx_http_oauth2_client_challenge_parse(const unsigned char *p, size_t len,
    const char *scheme, ngx_http_oauth2_client_challenge_t *ch)
{
    int                                     cur, seen;
    size_t                                  n, sp;
    const unsigned char                    *tok;
    ngx_http_oauth2_client_challenge_in_t   in;

    if (ch == NULL) {
        return -1;
    }

    memset(ch, 0, sizeof(ngx_http_oauth2_client_challenge_t));

    if (p == NULL || scheme == NULL) {
        return -1;
    }

    in.p = p;
    in.len = len;
    in.i = 0;

    /* cur: 0 before any challenge, 1 in ours, 2 in another one */
    cur = 0;
    seen = 0;

    for ( ;; ) {

        /* empty list elements are allowed: ", ," */

        while (in.i < in.len
               && (in.p[in.i] == ' ' || in.p[in.i] == '\t'
                   || in.p[in.i] == ','))
        {
            in.i++;
        }

        if (in.i == in.len) {
            return 0;
        }

        tok = in.p + in.i;
        n = ngx_http_oauth2_client_challenge_token(&in);

        if (n == 0) {
            return -1;
        }

        sp = in.i;
        ngx_http_oauth2_client_challenge_ows(&in);

        if (in.i < in.len && in.p[in.i] == '=') {

            /* an auth-param of the current challenge */

            if (cur == 0) {
                return -1;
            }

            in.i = sp;

            if (ngx_http_oauth2_client_challenge_param(&in, tok, n, ch,
                                                       cur == 1)
                != 0)
            {
                return -1;
            }

        } else {

            /* a new challenge: only the first one of the scheme counts */

            if (!seen && ngx_http_oauth2_client_challenge_ieq(tok, n, scheme))
            {
                ch->found = 1;
                seen = 1;
                cur = 1;

            } else {
                cur = 2;
            }

            if (in.i > sp && in.i < in.len && in.p[in.i] != ','
                && ngx_http_oauth2_client_challenge_token68(&in))
            {
                /* token68 takes no parameters after it */
                cur = 2;
            }

            if (in.i == sp && in.i < in.len && in.p[in.i] != ',') {
                /* a scheme must be followed by a space, a comma or the end */
                return -1;
            }

            continue;
        }

        ngx_http_oauth2_client_challenge_ows(&in);

        if (in.i < in.len && in.p[in.i] != ',') {
            return -1;
        }
    }
}
