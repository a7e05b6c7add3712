# The zone is shared by every worker and survives a reload: one token
# request serves them all.

use lib 't/lib';
use Cwd qw(cwd);
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

$ENV{TEST_NGINX_PIDFILE} = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
                           . '/logs/nginx.pid';

master_on();
workers(2);
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: two workers, many requests, one token request
--- http_config
    oauth2_token_cache zone=shared:1m;

    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/w01/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/w01/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/w01/oauth2/v1/token;
    }
--- request eval
[(map { "GET /api/$_" } 1 .. 20), "GET /stats"]
--- response_body_like eval
["x-token-status=MISS", ("x-token-status=HIT") x 19, "^calls=1\n"]
--- no_error_log
[error]



=== TEST 2: a reload keeps the cached token
--- http_config
    oauth2_client okta {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/w02/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    location = /_oauth2/okta {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/w02/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_set_header X-Worker $pid;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }

    location = /reload {
        proxy_read_timeout 15s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_hup?pidfile=$TEST_NGINX_PIDFILE;
    }

    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/w02/oauth2/v1/token;
    }
--- request eval
["GET /api/1", "GET /reload", "GET /api/2", "GET /api/3", "GET /stats"]
--- response_body_like eval
["x-token-status=MISS", "reloaded", "x-token-status=HIT",
 "x-token-status=HIT", "^calls=1\n"]
--- no_error_log
[error]
[emerg]
