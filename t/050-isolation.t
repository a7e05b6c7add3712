# The token goes only where oauth2_token says, and nothing of the
# client's reaches the token endpoint: internal redirects, variables
# already evaluated from the client's headers, truncated answers.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: an internal redirect to a location without oauth2_token takes the token back
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i01/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i01/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_intercept_errors on;
        error_page 404 = /elsewhere;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/nothing/;
    }

    location = /elsewhere {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/elsewhere;
    }
--- request
GET /api/x
--- error_code: 401
--- response_body_like chomp
^api: token refused: missing
--- error_log
oauth2 client "okta": new token
--- no_error_log
[error]



=== TEST 2: ... and puts the client's own Authorization back
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i02/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i02/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_intercept_errors on;
        error_page 404 = /elsewhere;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/nothing/;
    }

    location = /elsewhere {
        internal;
        add_header X-Auth $http_authorization always;
        add_header X-Token-Status "[$oauth2_token_status]" always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/elsewhere;
    }
--- request
GET /api/x
--- more_headers
Authorization: Basic dXNlcjpwYXNzd29yZA==
--- error_code: 401
--- response_headers
X-Auth: Basic dXNlcjpwYXNzd29yZA==
X-Token-Status: []
--- response_body_like chomp
^api: token refused: not bearer
--- no_error_log
[error]



=== TEST 3: a redirect to a location of the same client keeps the token
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i03/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i03/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_intercept_errors on;
        error_page 404 = /same;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/nothing/;
    }

    location = /same {
        internal;
        oauth2_token okta;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/same;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/i03/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /stats"]
--- response_body_like eval
["^api: token ok client=0oa-rsa .*x-token-status=MISS", "^calls=1\n"]
--- no_error_log
[error]



=== TEST 4: a redirect to another client's location gets that client's token
--- http_config
    oauth2_client one {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i04a/oauth2/v1/token;
        client_id       0oa-one;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }

    oauth2_client two {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i04b/oauth2/v1/token;
        client_id       0oa-two;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
    }
--- config
    location = /_oauth2/one {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i04a/oauth2/v1/token;
    }

    location = /_oauth2/two {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i04b/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token one;
        proxy_intercept_errors on;
        error_page 404 = /two;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/nothing/;
    }

    location = /two {
        internal;
        oauth2_token two;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/two;
    }
--- request
GET /api/x
--- response_body_like chomp
^api: token ok client=0oa-two 
--- no_error_log
[error]



=== TEST 5: variables the client's request already evaluated stay out of the token request
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i05/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_set_header Cookie $http_cookie;
        proxy_set_header X-Leak $http_x_leak;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/i05/oauth2/v1/token;
    }

    location /api/ {
        set $seen "$http_cookie $http_x_leak";
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/i05/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /stats"]
--- more_headers
Cookie: session=secret
X-Leak: yes
--- response_body_like eval
["^api: token ok client=0oa-rsa .*cookie=session=secret",
 "^calls=1\nheaders=accept,connection,content-length,content-type,host\n"]
--- no_error_log
[error]



=== TEST 6: an answer cut short is not taken for a token
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/truncated/i06/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/truncated/i06/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/x
--- error_code: 502
--- error_log
upstream prematurely closed connection
oauth2 client "okta": token endpoint response (HTTP 200) is incomplete, see the upstream error above
--- no_error_log
new token



=== TEST 7: after a failure, an error_page location of the same client does not fetch again
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/i07/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    oauth2_token okta;
    error_page 502 /oops;

    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/invalid-client/i07/oauth2/v1/token;
    }

    location /api/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /oops {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api/oops;
    }

    location = /stats {
        oauth2_token off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/invalid-client/i07/oauth2/v1/token;
    }
--- request eval
["GET /api/x", "GET /stats"]
--- error_code eval
[502, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n"]
