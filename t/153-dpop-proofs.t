# Every proxied request's DPoP proof is its own, whichever worker makes
# it: 1000 requests through 2 workers, each proof verified by the mock
# (signature by the embedded jwk, typ, alg, htm, htu, iat, ath, the key
# the token is bound to) and its jti remembered; a jti seen twice is
# refused (401), so is a proof of another key.  The requests come to a
# "reuseport" listener, so that the kernel spreads the connections over
# both workers (without it, EPOLLEXCLUSIVE may give them all to one), and
# the access log of the API location tells which workers served them.
# t/unit/test_dpop.c makes 1000 proofs with distinct jti in one process.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

master_on();
workers(2);
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: 1000 requests on 2 workers, 8 at a time: 1000 proofs, none refused, both workers served
--- http_config
    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/p01/oauth2/v1/token;
        client_id       0oa-ec-dpop;
        private_key     $TEST_NGINX_KEYS/ec1.pem;
        key_id          ec1;
        dpop            on;
    }

    log_format pids '$pid';

    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 reuseport;

        location = /_oauth2/okta {
            internal;
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/p01/oauth2/v1/token;
        }

        location /api/ {
            access_log logs/pids.log pids;
            oauth2_token okta;
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
        }
    }
--- config
    location = /burst {
        access_log off;
        proxy_read_timeout 300s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_burst?port=$TEST_NGINX_RAND_PORT_1&path=/api/x&n=1000&c=8;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/api/x?detail=1;
    }

    location = /tstats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/p01/oauth2/v1/token;
    }

    location = /pids {
        default_type text/plain;
        alias logs/pids.log;
    }
--- request eval
["GET /burst", "GET /stats", "GET /tstats", "GET /pids"]
--- response_body_like eval
["^n=1000\nok=1000\nerrors=0\nstatus_200=1000\n",
 "^calls=1000\n.*\nscheme=DPoP\n.*\nstatus=200\nerrors=\n",
 "^calls=1\n",
 "(?m)\\A(\\d+)\n(?:.*\n)*?(?!\\1\n)\\d+\n"]
--- timeout: 300
--- no_error_log
[error]
