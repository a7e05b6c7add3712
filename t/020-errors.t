# Every failure of the token request: a 502 to the client, one error
# line naming the client and the cause, nothing sent upstream, and the
# worker alive for the next request.

use lib 't/lib';
use File::Temp ();
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

$ENV{TEST_NGINX_TLS_PORT} = OAuth2Mock::free_port();

# a TLS server certificate no client here trusts
my $tls = File::Temp->newdir();
system('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
       'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1',
       '-days', '2', '-keyout', "$tls/tls.key", '-out', "$tls/tls.crt")
    == 0 or die "openssl req failed\n";
$ENV{TEST_NGINX_TLS_DIR} = "$tls";

# the error log is checked after every request: keep the whole block's
check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the token endpoint refuses the client (401 invalid_client)
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/e01/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/e01/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/invalid-client/e01/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 401, error "invalid_client": "The client_assertion signature is invalid\."/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 2: an invalid scope (400 invalid_scope)
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-scope/e02/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-scope/e02/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/invalid-scope/e02/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 400, error "invalid_scope": "The following scopes are not allowed: okta\.bogus"/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 3: rate limited, Okta management error style (429)
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/rate-limit/e03/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/rate-limit/e03/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/rate-limit/e03/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 429, errorCode "E0000047": "API call exceeded rate limit due to too many requests\."/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 4: a 500 with an HTML body
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/html-500/e04/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/html-500/e04/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/html-500/e04/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 500, non-JSON body/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 5: a 503 with a JSON error
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/status-503/e05/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/status-503/e05/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/status-503/e05/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 503, error "server_error": "mock status 503"/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 6: invalid JSON
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/bad-json/e06/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/bad-json/e06/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/bad-json/e06/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: invalid JSON/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 7: an empty body
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/empty/e07/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/empty/e07/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/empty/e07/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: empty body/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 8: a JSON array
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/array/e08/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/array/e08/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/array/e08/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: not a JSON object/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 9: no access_token
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/no-access-token/e09/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/no-access-token/e09/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/no-access-token/e09/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: no access_token/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 10: an empty access_token
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/empty-token/e10/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/empty-token/e10/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/empty-token/e10/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: access_token is empty/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 11: an access_token with CR LF
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-crlf/e11/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-crlf/e11/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/token-crlf/e11/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: access_token has a character not allowed in a header value/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 12: an access_token that is not a string
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-not-string/e12/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-not-string/e12/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/token-not-string/e12/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: access_token is not a string/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 13: token_type is neither Bearer nor DPoP
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/not-bearer/e13/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/not-bearer/e13/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/not-bearer/e13/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: token_type "mac" is neither Bearer nor DPoP/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 14: no expires_in
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/no-expires/e14/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/no-expires/e14/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/no-expires/e14/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: no expires_in/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 15: expires_in of 0
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-zero/e15/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-zero/e15/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/expires-zero/e15/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: expires_in must be positive/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 16: expires_in as a string
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-string/e16/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-string/e16/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/expires-string/e16/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: expires_in is not an integer/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 17: duplicated JSON keys
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dup-keys/e17/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dup-keys/e17/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/dup-keys/e17/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: (?:invalid JSON: )?duplicate key/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 18: a redirect
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/redirect/e18/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/redirect/e18/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/redirect/e18/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 302/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 19: a gzip-encoded body
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/gzip/e19/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/gzip/e19/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/gzip/e19/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token endpoint response \(HTTP 200\) is encoded with "gzip", which is not supported/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 20: a body over subrequest_output_buffer_size
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/big/e20/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        subrequest_output_buffer_size 4k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/big/e20/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/big/e20/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token endpoint response \(HTTP 200\) larger than subrequest_output_buffer_size \(4096\): raise it in location "\/_oauth2\/okta"/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 21: a slow answer beyond proxy_read_timeout
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/delay-3000/e21/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_read_timeout 1s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/delay-3000/e21/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/delay-3000/e21/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": no response from the token endpoint through "\/_oauth2\/okta" \(status 504/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 22: the token location does not exist
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/e22/oauth2/v1/token;
        token_location  /_oauth2/missing;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log
oauth2 client "okta": token endpoint location "/_oauth2/missing" not found or without proxy_pass (status 404)
--- no_error_log
exited on signal

=== TEST 23: the token endpoint refuses connections
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:1/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:1/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log eval
[qr/connect\(\) failed \(111: Connection refused\)/,
 qr/oauth2 client "okta": no response from the token endpoint through "\/_oauth2\/okta" \(status 502/]
--- no_error_log
exited on signal

=== TEST 24: error details from the server are sanitized in the log
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/evil-description/e24/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/evil-description/e24/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log
token request failed: HTTP 400, error "invalid_request": "line one??[forged] line two"
--- no_error_log eval
qr/^\[forged\]/m



=== TEST 25: an access_token with a NUL byte
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-nul/e25/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-nul/e25/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/token-nul/e25/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: access_token has a character not allowed in a header value/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 26: an access_token with a space
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-space/e26/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-space/e26/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/token-space/e26/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: access_token has a character not allowed in a header value/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 27: an access_token with non-ASCII bytes
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-non-ascii/e27/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-non-ascii/e27/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/token-non-ascii/e27/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: access_token has a character not allowed in a header value/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 28: a negative expires_in
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-negative/e28/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-negative/e28/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/expires-negative/e28/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: expires_in must be positive/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 29: a float expires_in
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-float/e29/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-float/e29/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/expires-float/e29/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: expires_in is not an integer/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 30: no token_type
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/no-token-type/e30/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/no-token-type/e30/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/no-token-type/e30/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: no token_type/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 31: a 204 without a body
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/no-content/e31/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/no-content/e31/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /alive {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/no-content/e31/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /alive"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 204/
--- no_error_log
exited on signal
[alert]
[crit]

=== TEST 32: an absurd expires_in is capped, and the token used
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-huge/e32/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-huge/e32/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- response_body_like chomp
^api: token ok client=0oa-rsa
--- error_log eval
qr/oauth2 client "okta": new token sha256:[0-9a-f]{8}, expires in 86400 s \(capped\)/
--- no_error_log
[error]



=== TEST 33: a token endpoint whose certificate fails proxy_ssl_verify
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl;
        ssl_certificate     $TEST_NGINX_TLS_DIR/tls.crt;
        ssl_certificate_key $TEST_NGINX_TLS_DIR/tls.key;

        location / {
            return 200 '{"access_token":"never","token_type":"Bearer","expires_in":60}';
        }
    }

    oauth2_client okta {
        prefetch        off;
        token_endpoint  https://127.0.0.1:$TEST_NGINX_TLS_PORT/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_KEYS/cert.pem;
        proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_PORT/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log eval
[qr/upstream SSL certificate verify error/,
 qr/oauth2 client "okta": no response from the token endpoint through "\/_oauth2\/okta" \(status 502/]
--- no_error_log
exited on signal
never



=== TEST 34: a token that ends before its answer comes is not used
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-1-delay-1000/e34/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-1-delay-1000/e34/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log eval
qr/oauth2 client "okta": token request failed: the token \(expires_in 1 s\) ends before its answer came, \d+ ms after the request; next attempt in/
--- no_error_log
new token


=== TEST 35: an X-Rate-Limit-Reset too far ahead to count in ms waits the 1 h cap
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/rate-limit-18446744073709552/e35/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/rate-limit-18446744073709552/e35/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 429, errorCode "E0000047": "[^"]*"; next attempt in 3600\.000 s/
--- no_error_log
new token
[crit]


=== TEST 36: two X-Rate-Limit-Reset headers: the longer wait counts, not the last
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/rate-limit-reset-30-5/e36/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/rate-limit-reset-30-5/e36/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 429, errorCode "E0000047": "[^"]*"; next attempt in (?:29|30)\.000 s/
--- no_error_log
new token
[crit]


=== TEST 37: two Retry-After headers: the longer wait counts, not the last
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/retry-after-20-3/e37/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/retry-after-20-3/e37/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 429, errorCode "E0000047": "[^"]*"; next attempt in 20\.000 s/
--- no_error_log
new token
[crit]


=== TEST 38: X-Rate-Limit-Reset and Retry-After: the longer wait counts, whichever says it
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/rate-limit-2-retry-after-40/e38/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/rate-limit-2-retry-after-40/e38/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 429, errorCode "E0000047": "[^"]*"; next attempt in 40\.000 s/
--- no_error_log
new token
[crit]


=== TEST 39: an answer without a valid status line is logged for what it is
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/bad-status-line/e39/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/bad-status-line/e39/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log eval
[qr/\[error\] .* upstream sent no valid HTTP\/1\.0 header while reading response header from upstream/,
 qr/oauth2 client "okta": no valid HTTP status line in the answer of the token endpoint through "\/_oauth2\/okta" \(see the upstream error above\); next attempt in (?:0\.[5-9]\d\d|1\.000) s/]
--- no_error_log
status 0
new token
[crit]



=== TEST 40: a refusal whose description names DPoP, in whatever case: the hint says so
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-described/e40/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-described/e40/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 400, error "invalid_request": "A DPoP proof is required for this client\."; next attempt in \d+\.\d{3} s: the client requires DPoP/
--- no_error_log
[alert]
[crit]
