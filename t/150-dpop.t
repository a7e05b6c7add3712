# DPoP (RFC 9449): the token request carries a proof the mock verifies
# with Crypt::JWT (typ, alg, the embedded public jwk, htm, htu, iat, jti
# unused, the nonce); the token comes back bound to the proof key
# (cnf.jkt, token_type DPoP).  /_stats?detail=1 tells what the mock saw:
# the proof key's thumbprint (dpop=), the nonce the proof carried.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

sub slurp { my $f = shift; open my $fh, '<', $f or die "$f: $!"; local $/; my $s = <$fh>; $s =~ s/\s+\z//; $s }

# thumbprints computed by CryptX (t/keys/jwk.pl), not by the module
$ENV{TEST_NGINX_EC1_JKT} = slurp("$ENV{TEST_NGINX_KEYS}/ec1.jkt");
$ENV{TEST_NGINX_EC384_JKT} = slurp("$ENV{TEST_NGINX_KEYS}/ec384.jkt");

# resource servers' nonces longer than the 256 bytes once kept
$ENV{TEST_NGINX_LONG_NONCE} = 'n' x 300;
$ENV{TEST_NGINX_LONGER_NONCE} = 'n' x 1100;

log_level('info');
check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a client that requires DPoP, RS256 assertion, a generated proof key
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d01/oauth2/v1/token;
        client_id       0oa-rsa-dpop;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d01/oauth2/v1/token;
    }

    location = /t {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/d01/oauth2/v1/token?detail=1;
    }
--- request eval
["GET /t", "GET /t", "GET /stats"]
--- response_body_like eval
["slept", "slept",
 "(?s)^calls=1\n.*headers=accept,connection,content-length,content-type,dpop,host\n.*alg=RS256\n.*dpop=[A-Za-z0-9_-]{43}\ndpop_nonce=none\ntoken_type=DPoP\nstatus=200\n"]
--- no_error_log
[error]



=== TEST 2: ES256 assertion, the proof key from a JWK file: its thumbprint binds the token
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d02/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/ec384.jwk;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d02/oauth2/v1/token;
    }

    location = /t {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/d02/oauth2/v1/token?detail=1;
    }
--- request eval
["GET /t", "GET /stats"]
--- response_body_like eval
["slept",
 "(?s)^calls=1\n.*alg=ES256\n.*dpop=$ENV{TEST_NGINX_EC384_JKT}\ndpop_nonce=none\ntoken_type=DPoP\nstatus=200\n"]
--- no_error_log
[error]



=== TEST 3: the server wants a nonce: one retry at once, with the nonce, a new jti and assertion
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce/d03/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/ec384.pem;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce/d03/oauth2/v1/token;
    }

    location = /t {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/dpop-nonce/d03/oauth2/v1/token?detail=1;
    }
--- request eval
["GET /t", "GET /stats"]
--- response_body_like eval
["slept",
 "(?s)^calls=2\n.*dpop=$ENV{TEST_NGINX_EC384_JKT}\ndpop_nonce=[A-Za-z0-9_-]{32}\ntoken_type=DPoP\nstatus=200\nerrors=use_dpop_nonce:1\n"]
--- error_log
the token endpoint asks for a DPoP nonce, retrying with it
--- no_error_log
[error]



=== TEST 4: a nonce refused twice in a row: a failure of its own, not a loop
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce-always/d04/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce-always/d04/oauth2/v1/token;
    }

    location = /t {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/dpop-nonce-always/d04/oauth2/v1/token?detail=1;
    }
--- request eval
["GET /t", "GET /stats"]
--- error_code eval
[502, 200]
--- response_headers eval
["X-Token-Status: DPOP", ""]
--- response_body_like eval
["", "(?s)^calls=2\n.*errors=use_dpop_nonce:2\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 400, error "use_dpop_nonce": "Authorization server requires nonce in DPoP proof\." \(the DPoP nonce was refused twice in a row\); next attempt in [\d.]+ s: the server refused the DPoP nonce it asked for, twice in a row/



=== TEST 5: a server that answers a DPoP request with a Bearer token: said once, used as Bearer
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-as-bearer/d05/oauth2/v1/token;
        client_id       0oa-ec;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-as-bearer/d05/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/1
--- response_body_like chomp
^api: token ok client=0oa-ec 
--- error_log
the token endpoint answered a DPoP token request with a Bearer token; it is used as Bearer
--- no_error_log
[error]



=== TEST 6: dpop off for a client that requires it: the hint says to turn it on
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d06/oauth2/v1/token;
        client_id       0oa-rsa-dpop;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d06/oauth2/v1/token;
    }

    location = /t {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1;
    }
--- request
GET /t
--- error_code: 502
--- response_headers
X-Token-Status: DPOP
--- error_log eval
qr/token request failed: HTTP 400, error "invalid_dpop_proof": "The DPoP proof JWT header is missing\."; next attempt in [\d.]+ s: the client requires DPoP: set "dpop on" in its oauth2_client block/



=== TEST 7: a proxied request: "DPoP <token>" and a proof of its own (htm, htu, ath) the API verifies
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d07/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/ec384.pem;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d07/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request eval
["GET /api/d07/a?x=1", "POST /api/d07/b\nhello", "GET /api/d07/%7Ec"]
--- more_headers
DPoP: a-proof-of-the-client
--- response_body_like eval
["(?s)^api: token ok client=0oa-ec-dpop .*authorization_headers=1\n.*dpop=ok alg=ES384 jkt=$ENV{TEST_NGINX_EC384_JKT} htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d07/a ath=ok nonce=none\n",
 "(?s)^api: token ok .*dpop=ok alg=ES384 jkt=\\S+ htm=POST htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d07/b ath=ok nonce=none\n",
 "(?s)^api: token ok .*dpop=ok alg=ES384 jkt=\\S+ htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d07/%7Ec ath=ok nonce=none\n"]
--- no_error_log
[error]



=== TEST 8: proxy_pass with a URI part: htu is the operator's (oauth2_dpop_htu, with variables); without it the API refuses
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d08/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d08/oauth2/v1/token;
    }

    location ~ ^/orders/(.*)$ {
        oauth2_token okta;
        oauth2_dpop_htu http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/v1/orders/$1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/v1/orders/$1;
    }

    location /plain/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/v1/;
    }
--- request eval
["GET /orders/42", "GET /plain/42"]
--- error_code eval
[200, 401]
--- response_body_like eval
["(?s)^api: token ok .*htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/v1/orders/42 ath=ok",
 "^api: token refused: dpop: htu "]



=== TEST 9: the resource server wants a nonce (and rotates it): its 401 goes to the client, the token is kept, the next proof carries the nonce
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d09/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d09/oauth2/v1/token;
    }

    location /api-nonce/ {
        oauth2_token okta;
        oauth2_token_purge on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /rotate {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_nonce?api=1&rotate=1;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/d09/oauth2/v1/token;
    }
--- request eval
["GET /api-nonce/1", "GET /api-nonce/2", "GET /api-nonce/3", "GET /rotate",
 "GET /api-nonce/4", "GET /api-nonce/5", "GET /stats"]
--- error_code eval
[401, 200, 200, 200, 401, 200, 200]
--- response_body_like eval
["^api: use_dpop_nonce", "(?s)dpop=ok .*ath=ok nonce=[A-Za-z0-9_-]{32}\n",
 "(?s)dpop=ok .*ath=ok nonce=[A-Za-z0-9_-]{32}\n", "^nonce=",
 "^api: use_dpop_nonce", "(?s)dpop=ok .*ath=ok nonce=[A-Za-z0-9_-]{32}\n",
 "^calls=1\n"]
--- error_log
the upstream asks for a DPoP nonce: the next requests carry it
--- no_error_log
the upstream answered 401



=== TEST 10: the proof goes where the token goes: not to a mirror or an SSI include of another location, with 25 headers
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d10/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d10/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        mirror /mirror;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /mirror {
        internal;
        proxy_set_header Host backend;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/d10/mirror;
    }

    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /other/ {
        proxy_set_header Host backend;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/capture/d10/;
    }

    location /seen/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_headers/;
    }
--- user_files
>>> pages/d10.html
[<!--# include virtual="/other/x" -->]
--- request eval
["GET /api/d10/warm", "GET /api/d10/main", "GET /pages/d10.html",
 "GET /seen/capture/d10/mirror", "GET /seen/capture/d10/x"]
--- more_headers eval
CORE::join '', map { "X-Pad-$_: $_\n" } 1 .. 25
--- response_body_like eval
["^api: token ok", "^api: token ok", "captured /capture/d10/x",
 "\\A(?!(?s:.*)(?:authorization|dpop):)(?s:.*)host: backend\n",
 "\\A(?!(?s:.*)(?:authorization|dpop):)(?s:.*)host: backend\n"]
--- no_error_log
[error]



=== TEST 11: a subrequest in a location of the client gets a proof of its own (SSI include, htm GET, htu its URI)
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d11/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d11/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location /pages/ {
        oauth2_token okta;
        ssi on;
        root $TEST_NGINX_SERVER_ROOT/html;
    }
--- user_files
>>> pages/d11.html
[<!--# include virtual="/api/d11/one" -->][<!--# include virtual="/api/d11/two" -->]
--- request
GET /pages/d11.html
--- response_body_like eval
"(?s)^\\[api: token ok .*htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d11/one ath=ok nonce=none\n.*\\]\\[api: token ok .*htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d11/two ath=ok nonce=none\n"
--- no_error_log
[error]



=== TEST 12: a refusal that names DPoP in its description only is DPOP too; the next request, in the backoff, is BACKOFF
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-described/d12/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-described/d12/oauth2/v1/token;
    }

    location = /t {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1;
    }
--- request eval
["GET /t", "GET /t"]
--- error_code eval
[502, 503]
--- response_headers eval
["X-Token-Status: DPOP", "X-Token-Status: BACKOFF"]
--- error_log eval
qr/error "invalid_request": "A DPoP proof is required for this client\."; next attempt in [\d.]+ s: the client requires DPoP: set "dpop on"/



=== TEST 13: a refusal of a DPoP client that is not about DPoP stays ERROR
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/d13/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/d13/oauth2/v1/token;
    }

    location = /t {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1;
    }
--- request
GET /t
--- error_code: 502
--- response_headers
X-Token-Status: ERROR
--- error_log eval
qr/error "invalid_client": "The client_assertion signature is invalid\."; next attempt in [\d.]+ s: the server does not accept the client/



=== TEST 14: an internal redirect (error_page, X-Accel-Redirect) into another location of the client: a new proof (its URI, its method, a new jti)
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d14/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d14/oauth2/v1/token;
    }

    location = /api/d14/first {
        oauth2_token okta;
        root html/none;
        log_not_found off;
        error_page 404 = /api/d14/second;
    }

    location = /api/d14/accel {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/accel;
    }

    location = /accel {
        add_header X-Accel-Redirect /api/d14/second;
        return 204;
    }

    location = /api/d14/second {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request eval
["POST /api/d14/first\nhello", "GET /api/d14/accel"]
--- response_body_like eval
["(?s)^api: token ok .*dpop=ok alg=ES256 jkt=\\S+ htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d14/second ath=ok nonce=none\n",
 "(?s)^api: token ok .*dpop=ok alg=ES256 jkt=\\S+ htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d14/second ath=ok nonce=none\n"]
--- no_error_log
[error]



=== TEST 15: a resource server's new DPoP-Nonce on a 200 (RFC 9449 8.2): the next proof carries it, not the old one the server still takes
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d15/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d15/oauth2/v1/token;
    }

    location /api-nonce/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /grace {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_nonce?api=1&rotate=1&grace=1;
    }
--- request eval
["GET /api-nonce/d15/1", "GET /api-nonce/d15/2", "GET /grace",
 "GET /api-nonce/d15/3", "GET /api-nonce/d15/4"]
--- error_code eval
[401, 200, 200, 200, 200]
--- response_body_like eval
["^api: use_dpop_nonce", "(?s)dpop=ok .*ath=ok nonce=[A-Za-z0-9_-]{32}\n",
 "^nonce=", "(?s)dpop=ok .*ath=ok nonce=[A-Za-z0-9_-]{32} \\(old, DPoP-Nonce sent\\)\n",
 "(?s)dpop=ok .*ath=ok nonce=[A-Za-z0-9_-]{32}\n"]
--- no_error_log
[error]



=== TEST 16: a cached $http_dpop of the request with the proof is not what an SSI include of another location reads
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d16/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d16/oauth2/v1/token;
    }

    location /pages/ {
        oauth2_token okta;
        ssi on;
        add_header X-Proof $http_dpop;
        root $TEST_NGINX_SERVER_ROOT/html;
    }

    location /other/ {
        return 200 "dpop=[$http_dpop]";
    }
--- user_files
>>> pages/d16.html
[<!--# include virtual="/other/x" -->]
--- request
GET /pages/d16.html
--- response_headers_like
X-Proof: eyJ.+
--- response_body_like
^\[dpop=\[\]\]$
--- no_error_log
[error]



=== TEST 17: a 401 invalid_dpop_proof refuses the proof, not the token: oauth2_token_purge keeps it, the hint names oauth2_dpop_htu
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d17/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d17/oauth2/v1/token;
    }

    location /plain/ {
        oauth2_token okta;
        oauth2_token_purge on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/d17/;
    }

    location /api/ {
        oauth2_token okta;
        oauth2_token_purge on;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request eval
["GET /plain/1", "GET /api/d17/2"]
--- error_code eval
[401, 200]
--- response_body_like eval
["^api: token refused: dpop: htu ", "(?s)^api: token ok .*x-token-status=HIT\n"]
--- error_log eval
qr/the upstream refused the DPoP proof \(invalid_dpop_proof: "dpop: htu http:\S+\/plain\/1, expected [^"]+"\), the token is kept: if htu is not the URL the upstream sees, set oauth2_dpop_htu/
--- no_error_log
the upstream answered 401
[error]



=== TEST 18: a path with raw UTF-8 or bytes that are not UTF-8: htu percent-encodes them
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d18/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    large_client_header_buffers 4 16k;

    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d18/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request eval
["GET /api/d18/caf\xc3\xa9", "GET /api/d18/\xff\xfe?q=\xff"]
--- error_code eval
[200, 200]
--- response_body_like eval
["(?s)^api: token ok .*htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d18/caf%C3%A9 ath=ok",
 "(?s)^api: token ok .*htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d18/%FF%FE ath=ok"]
--- no_error_log
[error]



=== TEST 19: a URL longer than a proof takes: 414 (the client's doing, logged at info), not 500
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d19/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    large_client_header_buffers 4 16k;

    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d19/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request eval
"GET /api/d19/" . ("a" x 8200)
--- error_code: 414
--- error_log eval
qr/\[info\] .*oauth2 client "okta": no DPoP proof for a URL of 8\d\d\d bytes, at most 8192 are taken/
--- no_error_log
[error]



=== TEST 20: a resource server's nonce of 300 bytes is kept (any the module takes, up to 1024); one of 1100 is said to be not valid
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d20/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d20/oauth2/v1/token;
    }

    location /fake/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/rs/;
    }

    location = /rs/long {
        add_header WWW-Authenticate 'DPoP error="use_dpop_nonce"' always;
        add_header DPoP-Nonce $TEST_NGINX_LONG_NONCE always;
        return 401;
    }

    location = /rs/longer {
        add_header WWW-Authenticate 'DPoP error="use_dpop_nonce"' always;
        add_header DPoP-Nonce $TEST_NGINX_LONGER_NONCE always;
        return 401;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/api/d20/2?detail=1;
    }
--- request eval
["GET /fake/longer", "GET /fake/long", "GET /api/d20/2", "GET /stats"]
--- error_code eval
[401, 401, 401, 200]
--- response_body_like eval
["", "", "^api: use_dpop_nonce", "(?s)dpop_nonce=n{300}\n"]
--- error_log eval
qr/the upstream asks for a DPoP nonce but its DPoP-Nonce of 1100 bytes is not valid \(1 to 1024 visible characters/
--- no_error_log
[error]



=== TEST 21: the status: a DPoP-bound token's type is DPoP; the refused use_dpop_nonce exchange and its retry are two token requests
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce/d21/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce/d21/oauth2/v1/token;
    }

    location = /t {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1;
    }

    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /t", "GET /oauth2-status?format=prometheus"]
--- response_body_like eval
["slept",
 "(?m)(?=[\\s\\S]*^oauth2_client_token_info\\{client=\"okta\",zone=\"oauth2_client\",type=\"DPoP\"\\} 1\$)(?=[\\s\\S]*^oauth2_client_token_requests_total\\{client=\"okta\",zone=\"oauth2_client\",outcome=\"http_4xx\",error=\"use_dpop_nonce\"\\} 1\$)(?=[\\s\\S]*^oauth2_client_token_requests_total\\{client=\"okta\",zone=\"oauth2_client\",outcome=\"ok\"\\} 1\$)(?=[\\s\\S]*^oauth2_client_requests_total\\{client=\"okta\",zone=\"oauth2_client\",token_status=\"MISS\"\\} 1\$)"]
--- no_error_log
[error]



=== TEST 22: the status counts a request refused for DPoP as DPOP, not ERROR
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-described/d22/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-described/d22/oauth2/v1/token;
    }

    location = /t {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1;
    }

    location = /oauth2-status {
        oauth2_client_status;
    }
--- request eval
["GET /t", "GET /oauth2-status?format=prometheus"]
--- error_code eval
[502, 200]
--- response_headers eval
["X-Token-Status: DPOP", ""]
--- response_body_like eval
["",
 "(?m)(?=[\\s\\S]*^oauth2_client_requests_total\\{client=\"okta\",zone=\"oauth2_client\",token_status=\"DPOP\"\\} 1\$)(?=[\\s\\S]*^oauth2_client_requests_total\\{client=\"okta\",zone=\"oauth2_client\",token_status=\"ERROR\"\\} 0\$)"]



=== TEST 23: client_secret_basic with DPoP: the token request carries Authorization: Basic and the proof; the token is DPoP-bound
--- http_config
    oauth2_client okta {
        prefetch            off;
        token_endpoint      http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d23/oauth2/v1/token;
        client_id           0oa-basic-dpop;
        client_secret_file  $TEST_NGINX_KEYS/client.secret;
        dpop                on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/d23/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/d23/oauth2/v1/token?detail=1;
    }
--- request eval
["GET /api/d23/a", "GET /stats"]
--- response_body_like eval
["(?s)^api: token ok client=0oa-basic-dpop .*authorization_headers=1\n.*dpop=ok alg=ES256 jkt=\\S+ htm=GET htu=http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/api/d23/a ath=ok nonce=none\n",
 "(?s)^calls=1\n.*headers=accept,authorization,connection,content-length,content-type,dpop,host\n.*auth=client_secret_basic\n.*dpop=[A-Za-z0-9_-]{43}\n.*token_type=DPoP\nstatus=200\n"]
--- no_error_log
[error]
