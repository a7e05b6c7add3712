# The token goes only to requests whose location is configured with its
# client: never to a subrequest (SSI, addition, mirror, auth_request) in
# a location without it, whatever the number of request headers and
# whether the subrequest was made before or after the module ran; a
# subrequest in a location of the client gets a token of its own; the
# subrequests that clone their parent (proxy_cache_background_update,
# slice) carry it to the same upstream.
#
# /capture/ of the mock stands for a host that must never see the token:
# each block asks the mock, through /seen/, for the headers the last
# request to a path had, and compares the whole list.  The mock shortens
# credentials to their scheme and 8 characters: "Bearer eyJraWQi..." is
# a token of the mock, "Basic dXNlcjpw..." the client's own.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

our $BASIC = 'Basic dXNlcjpwYXNzd29yZA==';
our $BASIC_SEEN = 'Basic dXNlcjpw...';
# a token of the mock: a JWT, whose header's base64url starts with eyJ
our $TOKEN_SEEN = '@TOKEN@';

# N padding request headers, as sent and as a backend records them
sub pads { CORE::join '', map { "X-Pad-$_: $_\n" } 1 .. $_[0] }
sub seen_pads { CORE::join '', map { "x-pad-$_: $_\n" } 1 .. $_[0] }

# a response_body_like pattern for exactly this text, @TOKEN@ standing
# for the shortened token
sub exactly {
    my $re = quotemeta $_[0];
    $re =~ s/\\\@TOKEN\\\@/Bearer eyJ[A-Za-z0-9_-]{5}\\.\\.\\./g;
    return "\\A$re\\z";
}

# every block: the client okta, its token location, /seen/ and /stats/
add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'HTTP' . ($block->http_config // ''));
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
HTTP

    $block->set_value('config', <<'CONFIG' . $block->config);
    proxy_set_header Host backend;

    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k/oauth2/v1/token;
    }

    location /seen/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_headers/;
    }

    location /stats/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/;
    }

CONFIG
});

repeat_each(1);
no_shuffle();
# a block's error_log patterns are looked for in all its requests' lines
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: SSI include from a location with the token to one without: 0 padding headers, no client Authorization
--- config
    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /other/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k01/;
    }
--- user_files
>>> pages/k01.html
main=<!--# echo var="oauth2_token_status" --> [<!--# include virtual="/other/x" -->]
--- request eval
["GET /pages/k01.html", "GET /seen/capture/k01/x"]
--- response_body_like eval
[main::exactly("main=MISS [captured /capture/k01/x\n]\n"),
 main::exactly("host: backend\nconnection: close\n")]
--- no_error_log
[error]



=== TEST 2: SSI include from a location with the token to one without: 0 padding headers, a client Authorization
--- config
    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /other/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k02/;
    }
--- user_files
>>> pages/k02.html
main=<!--# echo var="oauth2_token_status" --> [<!--# include virtual="/other/x" -->]
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /pages/k02.html", "GET /seen/capture/k02/x"]
--- response_body_like eval
[main::exactly("main=MISS [captured /capture/k02/x\n]\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n")]
--- no_error_log
[error]



=== TEST 3: SSI include from a location with the token to one without: 25 padding headers, no client Authorization
--- config
    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /other/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k03/;
    }
--- user_files
>>> pages/k03.html
main=<!--# echo var="oauth2_token_status" --> [<!--# include virtual="/other/x" -->]
--- more_headers eval
main::pads(25)
--- request eval
["GET /pages/k03.html", "GET /seen/capture/k03/x"]
--- response_body_like eval
[main::exactly("main=MISS [captured /capture/k03/x\n]\n"),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(25))]
--- no_error_log
[error]



=== TEST 4: SSI include from a location with the token to one without: 25 padding headers, a client Authorization
--- config
    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /other/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k04/;
    }
--- user_files
>>> pages/k04.html
main=<!--# echo var="oauth2_token_status" --> [<!--# include virtual="/other/x" -->]
--- more_headers eval
"Authorization: $main::BASIC\n" . main::pads(25)
--- request eval
["GET /pages/k04.html", "GET /seen/capture/k04/x"]
--- response_body_like eval
[main::exactly("main=MISS [captured /capture/k04/x\n]\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n" . main::seen_pads(25))]
--- no_error_log
[error]



=== TEST 5: add_after_body in a location with the token, to one without: 0 padding headers, no client Authorization
--- config
    location /main/ {
        oauth2_token okta;
        add_after_body /add/x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k05/;
    }

    location /add/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k05/add/;
    }
--- request eval
["GET /main/page", "GET /seen/capture/k05/add/x", "GET /seen/capture/k05/page"]
--- response_body_like eval
[main::exactly("captured /capture/k05/page\ncaptured /capture/k05/add/x\n"),
 main::exactly("host: backend\nconnection: close\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 6: add_after_body in a location with the token, to one without: 25 padding headers, a client Authorization
--- config
    location /main/ {
        oauth2_token okta;
        add_after_body /add/x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k06/;
    }

    location /add/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k06/add/;
    }
--- more_headers eval
"Authorization: $main::BASIC\n" . main::pads(25)
--- request eval
["GET /main/page", "GET /seen/capture/k06/add/x", "GET /seen/capture/k06/page"]
--- response_body_like eval
[main::exactly("captured /capture/k06/page\ncaptured /capture/k06/add/x\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n" . main::seen_pads(25)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(25) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 7: add_before_body in a location with the token, to one without: 0 padding headers, no client Authorization
--- config
    location /main/ {
        oauth2_token okta;
        add_before_body /add/x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k07/;
    }

    location /add/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k07/add/;
    }
--- request eval
["GET /main/page", "GET /seen/capture/k07/add/x", "GET /seen/capture/k07/page"]
--- response_body_like eval
[main::exactly("captured /capture/k07/add/x\ncaptured /capture/k07/page\n"),
 main::exactly("host: backend\nconnection: close\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 8: add_before_body in a location with the token, to one without: 25 padding headers, a client Authorization
--- config
    location /main/ {
        oauth2_token okta;
        add_before_body /add/x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k08/;
    }

    location /add/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k08/add/;
    }
--- more_headers eval
"Authorization: $main::BASIC\n" . main::pads(25)
--- request eval
["GET /main/page", "GET /seen/capture/k08/add/x", "GET /seen/capture/k08/page"]
--- response_body_like eval
[main::exactly("captured /capture/k08/add/x\ncaptured /capture/k08/page\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n" . main::seen_pads(25)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(25) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 9: mirror of a location with the token, the cache warm: 0 padding headers, no client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k09/mirror;
    }
--- request eval
["GET /api/k09/warm", "GET /api/k09/main", "GET /seen/capture/k09/mirror",
 "GET /seen/api/k09/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 10: mirror of a location with the token, the cache warm: 0 padding headers, a client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k10/mirror;
    }
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /api/k10/warm", "GET /api/k10/main", "GET /seen/capture/k10/mirror",
 "GET /seen/api/k10/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 11: mirror of a location with the token, the cache warm: 19 padding headers, no client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k11/mirror;
    }
--- more_headers eval
main::pads(19)
--- request eval
["GET /api/k11/warm", "GET /api/k11/main", "GET /seen/capture/k11/mirror",
 "GET /seen/api/k11/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(19)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(19) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 12: mirror of a location with the token, the cache warm: 19 padding headers, a client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k12/mirror;
    }
--- more_headers eval
"Authorization: $main::BASIC\n" . main::pads(19)
--- request eval
["GET /api/k12/warm", "GET /api/k12/main", "GET /seen/capture/k12/mirror",
 "GET /seen/api/k12/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n" . main::seen_pads(19)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(19) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 13: mirror of a location with the token, the cache warm: 20 padding headers, no client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k13/mirror;
    }
--- more_headers eval
main::pads(20)
--- request eval
["GET /api/k13/warm", "GET /api/k13/main", "GET /seen/capture/k13/mirror",
 "GET /seen/api/k13/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(20)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(20) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 14: mirror of a location with the token, the cache warm: 20 padding headers, a client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k14/mirror;
    }
--- more_headers eval
"Authorization: $main::BASIC\n" . main::pads(20)
--- request eval
["GET /api/k14/warm", "GET /api/k14/main", "GET /seen/capture/k14/mirror",
 "GET /seen/api/k14/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n" . main::seen_pads(20)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(20) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 15: mirror of a location with the token, the cache warm: 21 padding headers, no client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k15/mirror;
    }
--- more_headers eval
main::pads(21)
--- request eval
["GET /api/k15/warm", "GET /api/k15/main", "GET /seen/capture/k15/mirror",
 "GET /seen/api/k15/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(21)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(21) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 16: mirror of a location with the token, the cache warm: 21 padding headers, a client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k16/mirror;
    }
--- more_headers eval
"Authorization: $main::BASIC\n" . main::pads(21)
--- request eval
["GET /api/k16/warm", "GET /api/k16/main", "GET /seen/capture/k16/mirror",
 "GET /seen/api/k16/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n" . main::seen_pads(21)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(21) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 17: mirror of a location with the token, the cache warm: 60 padding headers, no client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k17/mirror;
    }
--- more_headers eval
main::pads(60)
--- request eval
["GET /api/k17/warm", "GET /api/k17/main", "GET /seen/capture/k17/mirror",
 "GET /seen/api/k17/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(60)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(60) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 18: mirror of a location with the token, the cache warm: 60 padding headers, a client Authorization
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k18/mirror;
    }
--- more_headers eval
"Authorization: $main::BASIC\n" . main::pads(60)
--- request eval
["GET /api/k18/warm", "GET /api/k18/main", "GET /seen/capture/k18/mirror",
 "GET /seen/api/k18/main"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n" . main::seen_pads(60)),
 main::exactly("host: backend\nconnection: close\n" . main::seen_pads(60) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 19: auth_request to a location of the same client, the cache warm: the token goes
--- config
    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location /guarded/ {
        oauth2_token okta;
        auth_request /auth;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k19/;
    }

    location = /auth {
        internal;
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k19/auth;
    }
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /api/k19/warm", "GET /guarded/x", "GET /seen/api/k19/auth", "GET /seen/capture/k19/x"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ",
 main::exactly("captured /capture/k19/x\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 20: auth_request from a location with the token to one without: 0 padding headers, no client Authorization
--- config
    location /guarded/ {
        oauth2_token okta;
        auth_request /auth;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k20/;
    }

    location = /auth {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k20/auth;
    }
--- request eval
["GET /guarded/x", "GET /seen/capture/k20/auth", "GET /seen/api/k20/x"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 21: auth_request from a location with the token to one without: 0 padding headers, a client Authorization
--- config
    location /guarded/ {
        oauth2_token okta;
        auth_request /auth;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k21/;
    }

    location = /auth {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k21/auth;
    }
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /guarded/x", "GET /seen/capture/k21/auth", "GET /seen/api/k21/x"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 22: SSI include to a location of the same client: a token of its own, its own status
--- config
    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /same/ {
        oauth2_token okta;
        proxy_set_header Host backend;
        proxy_set_header X-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k22/;
    }
--- user_files
>>> pages/k22.html
main=<!--# echo var="oauth2_token_status" --> [<!--# include virtual="/same/x" -->]
--- more_headers eval
"Authorization: $main::BASIC\n" . main::pads(25)
--- request eval
["GET /pages/k22.html", "GET /seen/api/k22/x"]
--- response_body_like eval
["^main=MISS \\[api: token ok client=0oa-rsa .*\nauthorization_headers=1\n.*x-status=HIT\n(?:x-pad-\\d+=\\d+\n){25}\\]\n\\z",
 main::exactly("host: backend\nx-status: HIT\nconnection: close\n" . main::seen_pads(25) . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 23: SSI include to a location of another client, its cache warm: that client's token
--- http_config
    oauth2_client two {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k2/oauth2/v1/token;
        client_id       0oa-two;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
    }
--- config
    location = /_oauth2/two {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k2/oauth2/v1/token;
    }

    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /two/ {
        oauth2_token two;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k23/;
    }
--- user_files
>>> pages/k23.html
[<!--# include virtual="/two/x" -->]
--- request eval
["GET /two/warm", "GET /pages/k23.html", "GET /seen/api/k23/x"]
--- response_body_like eval
["^api: token ok client=0oa-two ",
 "^\\[api: token ok client=0oa-two .*\nauthorization_headers=1\n",
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 24: SSI include to a location of another client, its cache cold: the subrequest waits for that client's token request
--- http_config
    oauth2_client two {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k24/oauth2/v1/token;
        client_id       0oa-two;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
    }
--- config
    location = /_oauth2/two {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k24/oauth2/v1/token;
    }

    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /two/ {
        oauth2_token two;
        proxy_set_header Host backend;
        proxy_set_header X-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k24/;
    }
--- user_files
>>> pages/k24.html
main=<!--# echo var="oauth2_token_status" --> [<!--# include virtual="/two/x" -->]
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /pages/k24.html", "GET /seen/api/k24/x", "GET /stats/k24/oauth2/v1/token"]
--- response_body_like eval
["^main=MISS \\[api: token ok client=0oa-two .*\nauthorization_headers=1\n.*x-status=MISS\n\\]\n\\z",
 main::exactly("host: backend\nx-status: MISS\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n"),
 "^calls=1\n"]
--- no_error_log
[error]



=== TEST 25: proxy_cache_background_update in a location with the token: the update carries it, to the same upstream
--- http_config
    proxy_cache_path $TEST_NGINX_SERVER_ROOT/cache keys_zone=k25:1m;
--- config
    location /bg/ {
        oauth2_token okta;
        proxy_cache k25;
        proxy_cache_use_stale updating;
        proxy_cache_background_update on;
        add_header X-Cache $upstream_cache_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k25/;
    }
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /bg/x?stale=1", "GET /bg/x?stale=1", "GET /stats/capture/k25/x", "GET /seen/capture/k25/x"]
--- response_body_like eval
[main::exactly("captured /capture/k25/x\n"),
 main::exactly("captured /capture/k25/x\n"),
 main::exactly("calls=2\nheaders=authorization,connection,host\nlast_scope=\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 26: slice in a location with the token: every slice carries it, to the same upstream
--- config
    location /slice/ {
        oauth2_token okta;
        slice 4;
        proxy_set_header Host backend;
        proxy_set_header Range $slice_range;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k26/;
    }
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /slice/x?body=0123456789", "GET /stats/capture/k26/x", "GET /seen/capture/k26/x"]
--- response_body_like eval
[main::exactly("0123456789"),
 main::exactly("calls=3\nheaders=authorization,connection,host,range\nlast_scope=\n"),
 main::exactly("host: backend\nrange: bytes=8-11\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n")]
--- no_error_log
[error]



=== TEST 27: $http_authorization the main request evaluated is evaluated afresh in a subrequest
--- config
    location /page/ {
        oauth2_token okta;
        ssi on;
        proxy_set_header Host backend;
        proxy_set_header X-Main $http_authorization;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k27/;
    }

    location /copy/ {
        proxy_set_header Host backend;
        proxy_set_header X-Copied "[$http_authorization]";
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k27/copy/;
    }
--- request eval
["GET /page/x?body=%3C!--%23%20include%20virtual%3D%22%2Fcopy%2Fx%22%20--%3E",
 "GET /seen/capture/k27/copy/x", "GET /seen/capture/k27/x"]
--- response_body_like eval
[main::exactly("captured /capture/k27/copy/x\n"),
 main::exactly("host: backend\nx-copied: []\nconnection: close\n"),
 "^host: backend\nx-main: Bearer eyJ[^\n]*\nconnection: close\nauthorization: Bearer eyJ[A-Za-z0-9_-]{5}\\.\\.\\.\n\\z"]
--- no_error_log
[error]



=== TEST 28: $oauth2_access_token and $oauth2_token_status in a subrequest location without the module: empty
--- config
    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /var/ {
        proxy_set_header Host backend;
        proxy_set_header X-Token "[$oauth2_access_token]";
        proxy_set_header X-Status "[$oauth2_token_status]";
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k28/;
    }
--- user_files
>>> pages/k28.html
main=<!--# echo var="oauth2_token_status" --> [<!--# include virtual="/var/x" -->]
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /pages/k28.html", "GET /seen/capture/k28/x"]
--- response_body_like eval
[main::exactly("main=MISS [captured /capture/k28/x\n]\n"),
 main::exactly("host: backend\nx-token: []\nx-status: []\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n")]
--- no_error_log
[error]



=== TEST 29: auth_request to a location of a client whose cache is cold: the subrequest waits for the one token request and carries the token
--- http_config
    oauth2_client cold {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k29/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/cold {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k29/oauth2/v1/token;
    }

    location /guarded/ {
        auth_request /auth;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k29/;
    }

    location = /auth {
        internal;
        oauth2_token cold;
        proxy_set_header Host backend;
        proxy_set_header X-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k29/auth;
    }
--- more_headers eval
"Authorization: $main::BASIC\n" . main::pads(25)
--- request eval
["GET /guarded/x", "GET /seen/api/k29/auth", "GET /seen/capture/k29/x", "GET /stats/k29/oauth2/v1/token"]
--- response_body_like eval
[main::exactly("captured /capture/k29/x\n"),
 main::exactly("host: backend\nx-status: MISS\nconnection: close\n" . main::seen_pads(25) . "authorization: $main::TOKEN_SEEN\n"),
 main::exactly("host: backend\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n" . main::seen_pads(25)),
 "^calls=1\n"]
--- no_error_log
[error]



=== TEST 30: two SSI includes to a location of a client whose cache is cold: one token request, both wait for it
--- http_config
    oauth2_client cold {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k30/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/cold {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k30/oauth2/v1/token;
    }

    location /plain/ {
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /cold/ {
        oauth2_token cold;
        proxy_set_header Host backend;
        proxy_set_header X-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k30/;
    }
--- user_files
>>> plain/k30.html
[<!--# include virtual="/cold/a" -->][<!--# include virtual="/cold/b" -->]
--- request eval
["GET /plain/k30.html", "GET /seen/api/k30/a", "GET /seen/api/k30/b", "GET /stats/k30/oauth2/v1/token"]
--- response_body_like eval
["^\\[api: token ok client=0oa-rsa [^\\]]*\nx-status=MISS\n\\]\\[api: token ok client=0oa-rsa [^\\]]*\nx-status=WAIT\n\\]\n\\z",
 main::exactly("host: backend\nx-status: MISS\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n"),
 main::exactly("host: backend\nx-status: WAIT\nconnection: close\n" . "authorization: $main::TOKEN_SEEN\n"),
 "^calls=1\n"]
--- no_error_log
[error]



=== TEST 31: auth_request to a location of a client whose token request fails: no credential, the subrequest never reaches its upstream, the main request answers 500
--- http_config
    oauth2_client bad {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/k31/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/bad {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/k31/oauth2/v1/token;
    }

    location /guarded/ {
        auth_request /auth;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k31/;
    }

    location = /auth {
        internal;
        oauth2_token bad;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k31/auth;
    }
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /guarded/x", "GET /stats/capture/k31/auth", "GET /seen/capture/k31/auth", "GET /stats/capture/k31/x"]
--- error_code eval
[500, 200, 200, 200]
--- response_body_like eval
["500 Internal Server Error",
 "^calls=0\n",
 "\\A\\z",
 "^calls=0\n"]
--- error_log eval
[qr/oauth2 client "bad": token request failed: HTTP 401, error "invalid_client"/,
 "auth request unexpected status: 502"]



=== TEST 32: SSI include to a location of a client whose token request fails: no credential, the include is the 502 page, the main request answers 200
--- http_config
    oauth2_client bad {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/k32/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/bad {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/k32/oauth2/v1/token;
    }

    location /plain/ {
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /bad/ {
        oauth2_token bad;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k32/;
    }
--- user_files
>>> plain/k32.html
main [<!--# include virtual="/bad/x" -->]
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /plain/k32.html", "GET /stats/capture/k32/x"]
--- error_code eval
[200, 200]
--- response_body_like eval
["^main \\[<html>.*502 Bad Gateway.*</html>\\s*\\]\n\\z",
 "^calls=0\n"]
--- error_log eval
qr/oauth2 client "bad": token request failed: HTTP 401, error "invalid_client"/



=== TEST 33: a map over $http_authorization the token location evaluated, an SSI include to a location without the module: the client's value, not the token
--- http_config
    map $http_authorization $k33_copy { default "$http_authorization"; }
    map $oauth2_access_token $k33_token { default "$oauth2_access_token"; }
--- config
    location /page/ {
        oauth2_token okta;
        ssi on;
        proxy_set_header Host backend;
        proxy_set_header X-Main "$k33_copy|$k33_token";
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k33/;
    }

    location /copy/ {
        proxy_set_header Host backend;
        proxy_set_header X-Copied "[$k33_copy][$k33_token]";
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k33/copy/;
    }
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /page/x?body=%3C!--%23%20include%20virtual%3D%22%2Fcopy%2Fx%22%20--%3E",
 "GET /seen/capture/k33/copy/x", "GET /seen/capture/k33/x"]
--- response_body_like eval
[main::exactly("captured /capture/k33/copy/x\n"),
 main::exactly("host: backend\nx-copied: [$main::BASIC][]\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n"),
 "^host: backend\nx-main: Bearer eyJ[^\n|]*\\|eyJ[^\n]*\nconnection: close\nauthorization: Bearer eyJ[A-Za-z0-9_-]{5}\\.\\.\\.\n\\z"]
--- no_error_log
[error]



=== TEST 34: a map over $http_authorization the token location evaluated, a mirror made before the token was set: not the token (21 padding headers, no client Authorization)
--- http_config
    map $http_authorization $k34_copy { default "$http_authorization"; }
--- config
    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_set_header Host backend;
        proxy_set_header X-Main $k34_copy;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_set_header Host backend;
        proxy_set_header X-Copied "[$k34_copy]";
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k34/mirror;
    }
--- more_headers eval
main::pads(21)
--- request eval
["GET /api/k34/warm", "GET /api/k34/main", "GET /seen/capture/k34/mirror"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token ok client=0oa-rsa ",
 main::exactly("host: backend\nx-copied: []\nconnection: close\n" . main::seen_pads(21))]
--- no_error_log
[error]



=== TEST 35: the access log of a main request without the module, after an SSI include to a location of the client that evaluated $http_authorization and a map over it: the client's value
--- http_config
    map $http_authorization $k35_copy { default "$http_authorization"; }
    log_format k35 "[$http_authorization][$k35_copy][$oauth2_access_token]";
--- config
    location /plain/ {
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
        access_log $TEST_NGINX_SERVER_ROOT/html/k35.log k35;
    }

    location /api/ {
        oauth2_token okta;
        proxy_set_header Host backend;
        proxy_set_header X-Main "$http_authorization|$k35_copy";
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- user_files
>>> plain/k35.html
[<!--# include virtual="/api/k35/x" -->]
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /plain/k35.html", "GET /k35.log", "GET /seen/api/k35/x"]
--- response_body_like eval
["^\\[api: token ok client=0oa-rsa ",
 main::exactly("[$main::BASIC][$main::BASIC][-]\n"),
 "^host: backend\nx-main: Bearer eyJ[^\n|]*\\|Bearer eyJ[^\n]*\nconnection: close\nauthorization: Bearer eyJ[A-Za-z0-9_-]{5}\\.\\.\\.\n\\z"]
--- no_error_log
[error]



=== TEST 36: a map over $http_authorization the token location evaluated, then error_page to a location without the module: the client's value, not the token
--- http_config
    map $http_authorization $k36_copy { default "$http_authorization"; }
--- config
    location /api/ {
        oauth2_token okta;
        proxy_set_header Host backend;
        proxy_set_header X-Main $k36_copy;
        proxy_intercept_errors on;
        error_page 404 = /other/x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/nowhere/k36/;
    }

    location /other/ {
        proxy_set_header Host backend;
        proxy_set_header X-Copied "[$k36_copy]";
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k36/;
    }
--- more_headers eval
"Authorization: $main::BASIC\n"
--- request eval
["GET /api/x", "GET /seen/capture/k36/x"]
--- response_body_like eval
[main::exactly("captured /capture/k36/x\n"),
 main::exactly("host: backend\nx-copied: [$main::BASIC]\nconnection: close\n" . "authorization: $main::BASIC_SEEN\n")]
--- no_error_log
[error]



=== TEST 37: an SSI include waits for a token request, its client goes away meanwhile: the subrequest never reaches its upstream, even with proxy_ignore_client_abort
--- http_config
    oauth2_client slow {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k37/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/k37/oauth2/v1/token;
    }

    location = /delay {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_fail?path=/k37/oauth2/v1/token&scenario=delay-1500&count=1;
    }

    location = /burst {
        proxy_read_timeout 30s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_burst?port=$TEST_NGINX_SERVER_PORT&path=/plain/k37.html&n=1&c=1&timeout_ms=300;
    }

    location /plain/ {
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /slow/ {
        oauth2_token slow;
        proxy_ignore_client_abort on;
        proxy_set_header Host backend;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/k37/;
    }
--- user_files
>>> plain/k37.html
main [<!--# include virtual="/slow/x" -->]
--- request eval
["GET /delay", "GET /burst", "GET /slow/after", "GET /stats/capture/k37/x",
 "GET /stats/k37/oauth2/v1/token"]
--- response_body_like eval
["", "^n=1\nok=0\nerrors=1\n", main::exactly("captured /capture/k37/after\n"),
 "^calls=0\n", "^calls=1\n"]
--- no_error_log
[error]



=== TEST 38: an internal redirect to a location of the same client after the token's end of use: a token looked up afresh
--- http_config
    oauth2_client short {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-2/k38/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/short {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-2/k38/oauth2/v1/token;
    }

    # the token's end of use is 1.8 s after its request: the upstream
    # times out later, and error_page sends the request on
    location = /slow {
        oauth2_token short;
        proxy_read_timeout 3500ms;
        error_page 504 = /again/x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=10000;
    }

    location /again/ {
        oauth2_token short;
        proxy_set_header Host backend;
        proxy_set_header X-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k38/;
    }
--- request eval
["GET /slow", "GET /stats/s/expires-2/k38/oauth2/v1/token"]
--- timeout: 15
--- response_body_like eval
["^api: token ok client=0oa-rsa .*\nx-status=MISS\n\\z", "^calls=2\n"]
--- error_log eval
[qr/upstream timed out/]



=== TEST 39: oauth2_token_purge in a subrequest's location: the token its upstream refused is dropped
--- config
    location /plain/ {
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /revoked/ {
        oauth2_token okta;
        oauth2_token_purge on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api401/;
    }

    location /api/ {
        oauth2_token okta;
        proxy_set_header X-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- user_files
>>> plain/k39.html
[<!--# include virtual="/revoked/x" -->]
--- request eval
["GET /api/k39/warm", "GET /plain/k39.html", "GET /api/k39/after"]
--- response_body_like eval
["^api: token ok client=0oa-rsa .*\nx-status=MISS\n\\z",
 "^\\[api: revoked\n\\]\n\\z",
 "^api: token ok client=0oa-rsa .*\nx-status=MISS\n\\z"]



=== TEST 40: an internal redirect to a location of the same client after the token's end of use: the values "set" at the server and location level after the redirect go upstream
--- http_config
    oauth2_client short {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-2/k40/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    set $p $uri;

    location = /_oauth2/short {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-2/k40/oauth2/v1/token;
    }

    # the token's end of use is 1.8 s after its request: the upstream
    # times out later, and error_page sends the request on
    location = /slow {
        oauth2_token short;
        proxy_read_timeout 3500ms;
        error_page 504 = /again/x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=10000;
    }

    location /again/ {
        oauth2_token short;
        set $tenant acme;
        proxy_set_header Host backend;
        proxy_set_header X-Status $oauth2_token_status;
        proxy_set_header X-Tenant $tenant;
        proxy_set_header X-P $p;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k40/;
    }
--- request eval
["GET /slow", "GET /stats/s/expires-2/k40/oauth2/v1/token"]
--- timeout: 15
--- response_body_like eval
["^api: token ok client=0oa-rsa .*\nx-status=MISS\nx-tenant=acme\nx-p=/again/x\n\\z", "^calls=2\n"]
--- error_log eval
[qr/upstream timed out/]



=== TEST 41: a main request with the token sent by error_page to a location without the client, or of the same client: the server's "set" sees the new URI, the token goes on again in the latter
--- config
    set $p $uri;

    location /first/ {
        oauth2_token okta;
        proxy_intercept_errors on;
        error_page 401 = /plain41/x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api401/;
    }

    location /plain41/ {
        set $tenant acme;
        return 200 "p=$p tenant=$tenant auth=$http_authorization status=$oauth2_token_status\n";
    }

    location /second/ {
        oauth2_token okta;
        proxy_intercept_errors on;
        error_page 401 = /again41/x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api401/;
    }

    location /again41/ {
        oauth2_token okta;
        set $tenant acme;
        proxy_set_header Host backend;
        proxy_set_header X-Status $oauth2_token_status;
        proxy_set_header X-Tenant $tenant;
        proxy_set_header X-P $p;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/k41/;
    }
--- request eval
["GET /first/k41", "GET /second/k41"]
--- response_body_like eval
["^p=/plain41/x tenant=acme auth= status=\n\\z",
 "^api: token ok client=0oa-rsa .*\nx-status=HIT\nx-tenant=acme\nx-p=/again41/x\n\\z"]
--- no_error_log
[error]
