# The core path: a token is fetched with a verified private_key_jwt
# assertion, cached, and sent upstream as Authorization: Bearer.
#
# The mock (t/mock/okta-mock.pl) verifies every assertion with Crypt::JWT
# and refuses any header outside its allowlist, so a 200 from the API
# means the assertion was valid and no client header reached the token
# endpoint.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: RS256: a token is fetched and sent upstream
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b01/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           okta.users.read okta.groups.read;
    }
--- config
    location = /_oauth2/okta {
        internal;
        subrequest_output_buffer_size 16k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b01/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/hello
--- response_body_like chomp
^api: token ok client=0oa-rsa scope=okta\.users\.read okta\.groups\.read token=\S+ \(\d+ bytes\)
authorization_headers=1
--- response_headers
X-Token-Status: MISS
--- error_log eval
qr/oauth2 client "okta": new token sha256:[0-9a-f]{8}, expires in 3600 s/
--- no_error_log
[error]



=== TEST 2: ES256 with the algorithm taken from the key
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b02/oauth2/v1/token;
        client_id       0oa-ec;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        scope           okta.users.read;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b02/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/hello
--- response_body_like chomp
^api: token ok client=0oa-ec scope=okta\.users\.read token=
--- no_error_log
[error]



=== TEST 3: ES384 from a P-384 key, RS512 named explicitly
--- http_config
    oauth2_client ec384 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b03/oauth2/v1/token;
        client_id       0oa-ec384;
        private_key     $TEST_NGINX_KEYS/ec384.pem;
        key_id          ec384;
    }

    oauth2_client rs512 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b03b/oauth2/v1/token;
        client_id       0oa-rs512;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     RS512;
    }
--- config
    location = /_oauth2/ec384 {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b03/oauth2/v1/token;
    }

    location = /_oauth2/rs512 {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b03b/oauth2/v1/token;
    }

    location /api/ec/ {
        oauth2_token ec384;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/;
    }

    location /api/rs/ {
        oauth2_token rs512;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/;
    }
--- request eval
["GET /api/ec/x", "GET /api/rs/x"]
--- response_body_like eval
["^api: token ok client=0oa-ec384 ", "^api: token ok client=0oa-rs512 "]
--- no_error_log
[error]



=== TEST 3b: PS256 and PS512 (RSASSA-PSS), verified by the mock's Crypt::JWT
--- http_config
    oauth2_client ps256 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b03c/oauth2/v1/token;
        client_id       0oa-ps256;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        signing_alg     PS256;
    }

    oauth2_client ps512 {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b03d/oauth2/v1/token;
        client_id       0oa-ps512;
        private_key     $TEST_NGINX_KEYS/rsa-pkcs1.pem;
        key_id          rsa-pkcs1;
        signing_alg     PS512;
    }
--- config
    location = /_oauth2/ps256 {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b03c/oauth2/v1/token;
    }

    location = /_oauth2/ps512 {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b03d/oauth2/v1/token;
    }

    location /api/ps256/ {
        oauth2_token ps256;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/;
    }

    location /api/ps512/ {
        oauth2_token ps512;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/;
    }
--- request eval
["GET /api/ps256/x", "GET /api/ps512/x"]
--- response_body_like eval
["^api: token ok client=0oa-ps256 ", "^api: token ok client=0oa-ps512 "]
--- no_error_log
[error]



=== TEST 4: cache hit: many requests, one token request
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b04/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           okta.users.read;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b04/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/b04/oauth2/v1/token;
    }
--- request eval
["GET /api/1", "GET /api/2", "GET /api/3", "GET /api/4", "GET /stats"]
--- response_body_like eval
["x-token-status=MISS", "x-token-status=HIT", "x-token-status=HIT",
 "x-token-status=HIT", "^calls=1\n"]
--- no_error_log
[error]



=== TEST 5: the client's Authorization is replaced
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b05/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b05/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/hello
--- more_headers
Authorization: Basic dXNlcjpwYXNzd29yZA==
--- response_body_like chomp
^api: token ok client=0oa-rsa .*
authorization_headers=1
--- no_error_log
[error]



=== TEST 6: client headers and body never reach the token endpoint
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b06/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        scope           okta.groups.read;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b06/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/b06/oauth2/v1/token;
    }
--- request eval
["POST /api/form\ngrant_type=password&scope=okta.bogus&client_assertion=x",
 "GET /stats"]
--- more_headers
Authorization: Bearer client-supplied
Cookie: session=secret
X-Leak: yes
Content-Type: application/x-www-form-urlencoded
--- response_body_like eval
["^api: token ok client=0oa-rsa scope=okta\\.groups\\.read .*cookie=session=secret",
 "^calls=1\nheaders=accept,connection,content-length,content-type,host\nlast_scope=okta\\.groups\\.read\$"]
--- no_error_log
[error]



=== TEST 7: a location without oauth2_token, or with off, gets nothing
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b07/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b07/oauth2/v1/token;
    }

    location /api/ {
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location /off/ {
        oauth2_token off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/b07/oauth2/v1/token;
    }
--- request eval
["GET /api/plain", "GET /off/x", "GET /stats"]
--- error_code eval
[401, 401, 200]
--- response_body_like eval
["^api: token refused: missing", "^api: token refused: missing",
 "^calls=0"]



=== TEST 8: inherited from server into the token location: no recursion
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b08/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    oauth2_token okta;

    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b08/oauth2/v1/token;
    }

    location /api/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        oauth2_token off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/b08/oauth2/v1/token;
    }
--- request eval
["GET /api/1", "GET /stats"]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^calls=1\nheaders=accept,connection,content-length,content-type,host\n"]
--- no_error_log
[error]



=== TEST 9: satisfy any does not skip the injection
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b09/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b09/oauth2/v1/token;
    }

    location /api/ {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        auth_basic "protected";
        auth_basic_user_file /nonexistent/htpasswd;
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- response_body_like chomp
^api: token ok client=0oa-rsa
--- no_error_log
[error]



=== TEST 10: a denied request costs no token request
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b10/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b10/oauth2/v1/token;
    }

    location /api/ {
        deny all;
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/b10/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /stats"]
--- error_code eval
[403, 200]
--- response_body_like eval
["403 Forbidden", "^calls=0"]



=== TEST 11: a wrong key is refused by the verifier
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b11/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa2.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b11/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        add_header X-Token-Status $oauth2_token_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- response_headers
X-Token-Status: ERROR
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 401, error "invalid_client"/



=== TEST 12: $oauth2_access_token is the token of the location's client
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b12/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/b12/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_set_header Authorization "Bearer $oauth2_access_token";
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location /none/ {
        proxy_set_header Authorization "Bearer $oauth2_access_token";
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/;
    }
--- request eval
["GET /api/x", "GET /none/x"]
--- error_code eval
[200, 401]
--- response_body_like eval
["^api: token ok client=0oa-rsa ", "^api: token refused"]



=== TEST 13: a token is never cached past its expiry
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-1/b13/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-1/b13/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /sleep {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1200;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/expires-1/b13/oauth2/v1/token;
    }
--- request eval
["GET /api/1", "GET /sleep", "GET /api/2", "GET /stats"]
--- response_body_like eval
["x-token-status=MISS", "slept", "x-token-status=MISS", "^calls=2\n"]
--- no_error_log
[error]



=== TEST 14: the module's own lines say what it was doing, a background refresh's too
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-60/b14/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        refresh_before  99%;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-60/b14/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    # the refresh answers in 3 s, its token for 30 s
    location = /slow-refresh {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_fail?path=/s/expires-60/b14/oauth2/v1/token&scenario=expires-30-delay-3000&count=1;
    }

    # the API refuses the token, which is dropped: the next request
    # waits for the refresh in flight, so its lines are in the log before
    # the log is read (no client request waits for a refresh otherwise)
    location /revoked/ {
        oauth2_token okta;
        oauth2_token_purge on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api401/;
    }

    location = /errors {
        default_type text/plain;
        alias $TEST_NGINX_SERVER_ROOT/logs/error.log;
    }
--- request eval
["GET /api/1", "GET /slow-refresh", "GET /api/2", "GET /revoked/3", "GET /api/4", "GET /errors"]
--- timeout: 10
--- error_code eval
[200, 200, 200, 401, 200, 200]
--- response_body_like eval
["x-token-status=MISS", "^ok", "x-token-status=REFRESH", "^api: revoked",
 "x-token-status=WAIT",
 qr/oauth2 client "okta": new token sha256:[0-9a-f]{8}, expires in 60 s while processing the token response, oauth2 client: "okta", token request: "\/_oauth2\/okta".*\n(?s:.*)oauth2 client "okta": new token sha256:[0-9a-f]{8}, expires in 30 s while processing the token response, oauth2 client: "okta", token request: "\/_oauth2\/okta"/]
--- no_error_log eval
[qr/new token .* while sending to client/, qr/new token .* request: "GET /, "[error]"]
