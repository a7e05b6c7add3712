# A worker killed (SIGKILL) while its token request is in flight: its
# claim is taken over, and another worker fetches the token.  The stand-in
# harness is told that a worker crash is expected here.
#
# Blocks end with GET /status: the access log of the block, one line a
# request, "$uri $status $oauth2_token_status $sent_http_retry_after", so
# a whole sequence of requests is checked at once.  The mock's /_fail,
# /_fire, /_burst and /_load drive failures and concurrent clients
# (t/mock/okta-mock.pl); the API is a server of the same nginx.

use lib 't/lib';
use Cwd qw(cwd);
use Test::Nginx::Socket 'no_plan';
use OAuth2Mock;

OAuth2Mock::start();

$ENV{TEST_NGINX_EXPECT_CRASH} = 1;

$ENV{TEST_NGINX_BACKEND_PORT} = OAuth2Mock::free_port();
$ENV{TEST_NGINX_LOGDIR} = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
                          . '/logs';
$ENV{TEST_NGINX_PIDFILE} = "$ENV{TEST_NGINX_LOGDIR}/nginx.pid";

master_on();
workers(2);
worker_connections(4096);
check_accum_error_log();
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a worker killed while its token request is in flight: another takes over
--- http_config
    map $http_authorization $has_bearer {
        "~^Bearer ."  bearer;
        default       none;
    }

    log_format oauth2 '$uri $status $oauth2_token_status $sent_http_retry_after';

    server {
        listen 127.0.0.1:$TEST_NGINX_BACKEND_PORT;
        access_log off;

        location / {
            return 200 "backend $has_bearer $http_x_token_status\n";
        }
    }

    oauth2_client okta {
        token_endpoint  http://127.0.0.1:$TEST_NGINX_MOCK_PORT/f07/oauth2/v1/token;
        client_id       0oa-rsa;
        private_key     $TEST_NGINX_KEYS/rsa1.pem;
        key_id          rsa1;
    }
--- config
    access_log $TEST_NGINX_LOGDIR/status.log oauth2;

    location = /_oauth2/okta {
        internal;
        proxy_set_header X-Worker-Pid $pid;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/f07/oauth2/v1/token;
    }

    location /api/ {
        oauth2_token okta;
        oauth2_token_wait_timeout 5s;
        proxy_set_header X-Token-Status $oauth2_token_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BACKEND_PORT;
    }

    location ~ ^/sleep/(\d+)$ {
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_sleep?ms=$1;
    }

    location ~ ^/fail/([a-z0-9-]+)/(\d+)$ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_fail?path=/f07/oauth2/v1/token&scenario=$1&count=$2;
    }

    location ~ ^/fail/([a-z0-9-]+)$ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_fail?path=/f07/oauth2/v1/token&scenario=$1;
    }

    location ~ ^/fire(/.*)$ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_fire?port=$TEST_NGINX_SERVER_PORT&path=$1;
    }

    location = /stats {
        access_log off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_stats/f07/oauth2/v1/token;
    }

    location = /status {
        access_log off;
        default_type text/plain;
        alias $TEST_NGINX_LOGDIR/status.log;
    }

    location = /errors {
        access_log off;
        default_type text/plain;
        alias $TEST_NGINX_LOGDIR/error.log;
    }
--- request eval
["GET /fail/kill-worker/1", "GET /fire/api/1", "GET /sleep/500",
 "GET /api/2", "GET /stats", "GET /errors"]
--- response_body_like eval
["^ok", "^fired", "slept", "^backend bearer (?:WAIT|MISS)", "^calls=2\n",
 "(?=.*worker process \\d+ exited on signal 9)(?=.*oauth2 client \"okta\": the token request of process \\d+ is gone or late, taking it over)"]


