# Secrets stay out of the log: at level info, neither the private key,
# the client assertion nor the access token appear, whatever happens; a
# short fingerprint of the token does, for correlation.  (At level debug
# nginx's own proxy module logs the request headers it sends, the token
# included: that level is not for production.)

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

log_level('info');
check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a token fetched, used, refreshed and purged: no secret logged
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-3/x01/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
        refresh_before  2s;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/expires-3/x01/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location /revoked/ {
        oauth2_token okta;
        oauth2_token_purge on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api401/;
    }

    location = /sleep {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=1200;
    }
--- request eval
["GET /api/1", "GET /sleep", "GET /api/2", "GET /sleep", "GET /revoked/1",
 "GET /api/3"]
--- error_code eval
[200, 200, 200, 200, 401, 200]
--- response_body_like eval
["token ok", "slept", "token ok", "slept", "revoked", "token ok"]
--- error_log eval
qr/oauth2 client "okta": new token sha256:[0-9a-f]{8}, expires in 3 s/
--- no_error_log eval
[qr/eyJ/, qr/PRIVATE KEY/, qr/client_assertion=/, qr/Bearer /,
 qr/\[debug\]/]



=== TEST 2: refused assertions and a failed fetch: no secret logged
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/x02/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa2.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/x02/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request eval
["GET /api/1", "GET /api/2"]
--- error_code eval
[502, 503]
--- response_body_like eval
["502 Bad Gateway", "503 Service"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 401, error "invalid_client"/
--- no_error_log eval
[qr/eyJ/, qr/PRIVATE KEY/, qr/client_assertion=/, qr/Bearer /]



=== TEST 3: a token endpoint that echoes the token in its error: sanitized, cut
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-crlf/x03/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/token-crlf/x03/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
GET /api/1
--- error_code: 502
--- error_log
access_token has a character not allowed in a header value
--- no_error_log eval
[qr/X-Evil/, qr/abc/]
