
/*
 * Copyright (C) ngx_http_oauth2_client_module authors
 *
 * client_secret_basic and client_secret_post: RFC 6749's example, and
 * reserved characters (':', '%', '+', space, non-ASCII) in both parts,
 * against values openssl's base64 computed.
 */


#include <stdlib.h>
#include <string.h>

#include "ngx_http_oauth2_client_error.h"
#include "ngx_http_oauth2_client_secret.h"
#include "test_util.h"


#define S(s)  (const unsigned char *) (s), sizeof(s) - 1


void
ngx_http_oauth2_client_test_secret(void)
{
    char    err[NGX_HTTP_OAUTH2_CLIENT_ERRLEN];
    char   *s;
    size_t  len;

    /* RFC 6749, section 2.3.1 */

    s = ngx_http_oauth2_client_secret_basic(S("s6BhdRkqt3"),
                                            S("7Fjfp0ZBr1KtDRbnfVdmIw"),
                                            &len, err, sizeof(err));
    CHECK_STR(s, "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");
    CHECK(s != NULL && len == strlen(s));
    free(s);

    /*
     * "client:1" and "p%ss+w rd:\xc3\xa9" form-encoded are "client%3A1"
     * and "p%25ss%2Bw+rd%3A%C3%A9";
     * printf 'client%%3A1:p%%25ss%%2Bw+rd%%3A%%C3%%A9' | openssl base64
     */

    s = ngx_http_oauth2_client_secret_basic(S("client:1"),
                                            S("p%ss+w rd:\xc3\xa9"), &len,
                                            err, sizeof(err));
    CHECK_STR(s, "Basic Y2xpZW50JTNBMTpwJTI1c3MlMkJ3K3JkJTNBJUMzJUE5");
    free(s);

    /* one and two padding characters */

    s = ngx_http_oauth2_client_secret_basic(S("a"), S("b"), NULL, err,
                                            sizeof(err));
    CHECK_STR(s, "Basic YTpi");
    free(s);

    s = ngx_http_oauth2_client_secret_basic(S("ab"), S("c"), NULL, err,
                                            sizeof(err));
    CHECK_STR(s, "Basic YWI6Yw==");
    free(s);

    s = ngx_http_oauth2_client_secret_basic(S("ab"), S("cd"), NULL, err,
                                            sizeof(err));
    CHECK_STR(s, "Basic YWI6Y2Q=");
    free(s);

    CHECK(ngx_http_oauth2_client_secret_basic(S("id"), NULL, 0, NULL, err,
                                              sizeof(err)) == NULL);
    CHECK_ERR(err, "no client secret");
    CHECK(ngx_http_oauth2_client_secret_basic(S("id"), S(""), NULL, err,
                                              sizeof(err)) == NULL);
    CHECK_ERR(err, "no client secret");
    CHECK(ngx_http_oauth2_client_secret_basic(S(""), S("x"), NULL, err,
                                              sizeof(err)) == NULL);
    CHECK_ERR(err, "no client_id");
    CHECK(ngx_http_oauth2_client_secret_basic((unsigned char *) "x",
                                              NGX_HTTP_OAUTH2_CLIENT_SECRET_MAX
                                              + 1, S("x"), NULL, err,
                                              sizeof(err)) == NULL);
    CHECK_ERR(err, "longer than");

    /* client_secret_post, and client_id alone */

    s = ngx_http_oauth2_client_secret_post(S("client:1"),
                                           S("p%ss+w rd:\xc3\xa9"), &len,
                                           err, sizeof(err));
    CHECK_STR(s, "client_id=client%3A1"
                 "&client_secret=p%25ss%2Bw+rd%3A%C3%A9");
    CHECK(s != NULL && len == strlen(s));
    free(s);

    s = ngx_http_oauth2_client_secret_post(S("0oa1b2c3d4"), NULL, 0, &len,
                                           err, sizeof(err));
    CHECK_STR(s, "client_id=0oa1b2c3d4");
    CHECK(len == 20);
    free(s);

    CHECK(ngx_http_oauth2_client_secret_post(S("id"), S(""), NULL, err,
                                             sizeof(err)) == NULL);
    CHECK_ERR(err, "no client secret");
    CHECK(ngx_http_oauth2_client_secret_post(NULL, 0, NULL, 0, NULL, err,
                                             sizeof(err)) == NULL);
    CHECK_ERR(err, "no client_id");
}
