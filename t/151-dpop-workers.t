# DPoP with several workers and across reloads: the proof key is the
# master's, the token endpoint's nonce is in the zone (one nonce round
# trip for all workers and across reloads), a reload that keeps the
# dpop_key file keeps the token, a generated key is new at each reload
# (so is the token).  1000 requests' proofs on 2 workers:
# t/153-dpop-proofs.t.

use lib 't/lib';
use Cwd qw(cwd);
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

$ENV{TEST_NGINX_PIDFILE} = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
                           . '/logs/nginx.pid';

master_on();
workers(4);
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: 4 workers prefetch, one nonce round trip; after a reload (a new generated key, a new token) the nonce of the zone serves at once
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce/m01/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce/m01/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /reload {
        proxy_read_timeout 15s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_hup?pidfile=$TEST_NGINX_PIDFILE;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/dpop-nonce/m01/oauth2/v1/token?detail=1;
    }
--- request eval
[(map { "GET /api/a$_" } 1 .. 8), "GET /stats", "GET /reload",
 (map { "GET /api/b$_" } 1 .. 8), "GET /stats"]
--- response_body_like eval
[("^api: token ok client=0oa-ec-dpop ") x 8,
 "(?s)^calls=2\n.*token_type=DPoP\nstatus=200\nerrors=use_dpop_nonce:1\n",
 "reloaded",
 ("^api: token ok client=0oa-ec-dpop ") x 8,
 "(?s)^calls=3\n.*dpop_nonce=[A-Za-z0-9_-]{32}\ntoken_type=DPoP\nstatus=200\nerrors=use_dpop_nonce:1\n"]
--- no_error_log
[error]
[emerg]



=== TEST 2: a reload that keeps the dpop_key file keeps the token
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/m02/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
        dpop_key        $TEST_NGINX_KEYS/ec384.jwk;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/m02/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /reload {
        proxy_read_timeout 15s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_hup?pidfile=$TEST_NGINX_PIDFILE;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/m02/oauth2/v1/token;
    }
--- request eval
["GET /api/1", "GET /reload", "GET /api/2", "GET /api/3", "GET /stats"]
--- response_body_like eval
["^api: token ok ", "reloaded", "^api: token ok ", "^api: token ok ",
 "^calls=1\n"]
--- no_error_log
[error]
[emerg]



=== TEST 3: the token endpoint rotates its nonce: the next token request (after a reload, a new key) makes the round trip again, once
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce/m04/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/s/dpop-nonce/m04/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /rotate {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_nonce?path=/s/dpop-nonce/m04/oauth2/v1/token&rotate=1;
    }

    location = /reload {
        proxy_read_timeout 15s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_hup?pidfile=$TEST_NGINX_PIDFILE;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/s/dpop-nonce/m04/oauth2/v1/token?detail=1;
    }
--- request eval
["GET /api/a", "GET /stats", "GET /rotate", "GET /reload", "GET /api/b",
 "GET /api/c", "GET /stats"]
--- response_body_like eval
["^api: token ok ", "(?s)^calls=2\n.*errors=use_dpop_nonce:1\n", "^nonce=",
 "reloaded", "^api: token ok ", "^api: token ok ",
 "(?s)^calls=4\n.*errors=use_dpop_nonce:2\n"]
--- no_error_log
[error]
[emerg]



=== TEST 4: the resource server's nonce, learnt by one worker, is in every worker's next proofs
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/m05/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/m05/oauth2/v1/token;
    }

    location /api-nonce/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /rotate {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_nonce?api=1&rotate=1;
    }
--- request eval
["GET /rotate", "GET /api-nonce/0", (map { "GET /api-nonce/$_" } 1 .. 12)]
--- error_code eval
[200, 401, (200) x 12]
--- response_body_like eval
["^nonce=", "^api: use_dpop_nonce",
 ("(?s)dpop=ok .*ath=ok nonce=[A-Za-z0-9_-]{32}\n") x 12]
--- no_error_log
[error]
