# The token request is the module's own: a client that aborts, times out
# or resets its HTTP/2 stream never cancels it; it ends at its own
# deadline whatever the token endpoint trickles; one is in flight at a
# time; a refresh holds no client's connection; workers fetch the token
# when they start; nginx features that act on the connection of a
# request (limit_req's delay, an unbuffered response, send_timeout)
# work in the token location.
#
# Blocks end with GET /status: the access log of the block, one line a
# request, "$uri $status $oauth2_token_status $sent_http_retry_after".
# The mock's /_burst (with timeout_ms: clients that give up), /_h2reset
# (HTTP/2 streams reset), /_keepalive and /_load drive the clients, and
# its /_stats?inflight=1 counts the token requests in flight at once and
# those nginx hung up on (t/mock/okta-mock.pl); the API is a server of
# the same nginx.  The configuration every block shares is in
# t/lib/OAuth2Blocks.pm.

use lib 't/lib';
use Cwd qw(cwd);
use Test::Nginx::Socket 'no_plan';
use OAuth2Blocks;
use OAuth2Mock;

OAuth2Mock::start();

$ENV{TEST_NGINX_BACKEND_PORT} = OAuth2Mock::free_port();
$ENV{TEST_NGINX_H2_PORT} = OAuth2Mock::free_port();
$ENV{TEST_NGINX_LOGDIR} = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
                          . '/logs';
$ENV{TEST_NGINX_PIDFILE} = "$ENV{TEST_NGINX_LOGDIR}/nginx.pid";

master_on();
workers(2);
worker_connections(4096);
check_accum_error_log();
add_block_preprocessor { OAuth2Blocks::fill(@_) };
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: 50 clients in a row that give up after 100 ms, a 1 s token endpoint: one token request
--- token_path
/s/delay-1000/g01/oauth2/v1/token
--- api_extra
access_log $TEST_NGINX_LOGDIR/status.log oauth2 if=$oauth2_not_hit;
--- extra_config
    location = /aborts {
        access_log off;
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_burst?port=$TEST_NGINX_SERVER_PORT&path=/api/x&n=50&c=1&timeout_ms=100;
    }
--- request eval
["GET /aborts", "GET /sleep/1000", "GET /api/after", "GET /inflight",
 "GET /status"]
--- timeout: 30
--- response_body_like eval
["^n=50\nok=\\d+\nerrors=(?:[5-9]|[1-4]\\d|50)\n", "slept",
 "^backend bearer HIT",
 "^calls=1\n(?:.*\n)*inflight=0\nmax_inflight=1\naborted=0\n",
 "^/api/x 499 MISS -\n(?:/api/x 499 WAIT -\n)+(?:/api/x 200 WAIT -\n)*/sleep/1000 200 - -\n\$"]
--- no_error_log
[error]



=== TEST 2: 300 clients that give up after 100 ms, 30 at a time: one token request
--- token_path
/s/delay-1000/g02/oauth2/v1/token
--- extra_config
    location = /aborts {
        access_log off;
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_burst?port=$TEST_NGINX_SERVER_PORT&path=/api/x&n=300&c=30&timeout_ms=100;
    }
--- request eval
["GET /aborts", "GET /sleep/1000", "GET /api/after", "GET /inflight"]
--- timeout: 60
--- response_body_like eval
["^n=300\nok=\\d+\nerrors=\\d+\n", "slept", "^backend bearer HIT",
 "^calls=1\n(?:.*\n)*inflight=0\nmax_inflight=1\naborted=0\n"]
--- no_error_log
[error]



=== TEST 3: 40 HTTP/2 streams reset during the first token request: one token request, then cached
--- token_path
/g03/oauth2/v1/token
--- api_extra
access_log $TEST_NGINX_LOGDIR/status.log oauth2 if=$oauth2_not_hit;
--- extra_config
    listen 127.0.0.1:$TEST_NGINX_H2_PORT http2;

    location = /h2 {
        access_log off;
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_h2reset?port=$TEST_NGINX_H2_PORT&path=/api/h2&n=40&after_ms=20;
    }
--- request eval
["GET /fail/delay-1500/1", "GET /h2", "GET /sleep/1500", "GET /api/after",
 "GET /inflight", "GET /status"]
--- timeout: 30
--- response_body_like eval
["^ok", "^streams=40\nreset=40\nanswered=0\n", "slept",
 "^backend bearer HIT",
 "^calls=1\n(?:.*\n)*inflight=0\nmax_inflight=1\naborted=0\n",
 "^/fail/delay-1500/1 200 - -\n/api/h2 499 MISS -\n(?:/api/h2 499 WAIT -\n){39}/sleep/1500 200 - -\n\$"]
--- no_error_log
[error]



=== TEST 4: HTTP/2 streams reset in the refresh window do not throw the refresh away
--- token_path
/s/expires-4/g04/oauth2/v1/token
--- client_extra
refresh_before  2s;
--- api_extra
access_log $TEST_NGINX_LOGDIR/status.log oauth2 if=$oauth2_not_hit;
--- extra_config
    listen 127.0.0.1:$TEST_NGINX_H2_PORT http2;

    location = /h2 {
        access_log off;
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_h2reset?port=$TEST_NGINX_H2_PORT&path=/api/h2&n=40&after_ms=0;
    }
--- request eval
["GET /api/warm", "GET /fail/expires-60-delay-1000/1", "GET /sleep/1700",
 "GET /h2", "GET /sleep/2000", "GET /api/after", "GET /inflight",
 "GET /status"]
--- timeout: 30
--- response_body_like eval
["^backend bearer MISS", "^ok", "slept", "^streams=40\nreset=40\n",
 "slept", "^backend bearer HIT",
 "^calls=2\n(?:.*\n)*inflight=0\nmax_inflight=1\naborted=0\n",
 "^/api/warm 200 MISS -\n/fail/expires-60-delay-1000/1 200 - -\n/sleep/1700 200 - -\n/api/h2 (?:200|499) REFRESH -\n/sleep/2000 200 - -\n\$"]
--- no_error_log
[error]



=== TEST 5: a token endpoint that trickles its answer is cut off at the deadline; the waiters are answered
--- token_path
/s/trickle/g05/oauth2/v1/token
--- api_extra
oauth2_token_wait_timeout 2s;
--- request eval
["GET /fire/api/1", "GET /sleep/300", "GET /api/2", "GET /sleep/300",
 "GET /inflight", "GET /status", "GET /errors"]
--- timeout: 30
--- error_code eval
[200, 200, 503, 200, 200, 200, 200]
--- response_body_like eval
["^fired", "slept", "503 Service", "slept",
 "^calls=1\n(?:.*\n)*inflight=0\nmax_inflight=1\naborted=1\n",
 "(?=.*/api/1 502 ERROR -\n)(?=.*/api/2 503 BACKOFF 1\n)",
 "(?=.*oauth2 client \"okta\": proxy_connect_timeout 60000 ms, proxy_send_timeout 60000 ms and proxy_read_timeout 60000 ms of token location \"/_oauth2/okta\" exceed 2000 ms)(?=.*oauth2 client \"okta\": token endpoint response \\(HTTP 200\\) is incomplete after 2000 ms, the deadline of the token request; next attempt in (?:0\\.[5-9]\\d\\d|1\\.000) s)"]



=== TEST 6: the default timeouts against a 30 s token endpoint: never two token requests at once
--- token_path
/s/delay-30000/g06/oauth2/v1/token
--- extra_config
    location = /load {
        access_log off;
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_load?port=$TEST_NGINX_SERVER_PORT&path=/api/x&seconds=25&c=4&slow_ms=11000;
    }
--- request eval
["GET /load", "GET /inflight", "GET /errors"]
--- timeout: 60
--- response_body_like eval
["^requests=\\d+\nerrors=0\n(?:status_50[23]=\\d+\n)+max_ms=\\d+\nslow=0\n",
 "^calls=[1-3]\n(?:.*\n)*inflight=[01]\nmax_inflight=1\naborted=[1-3]\n",
 "(?=.*oauth2 client \"okta\": proxy_connect_timeout 60000 ms, proxy_send_timeout 60000 ms and proxy_read_timeout 60000 ms of token location \"/_oauth2/okta\" exceed 10000 ms)(?=.*oauth2 client \"okta\": no response from the token endpoint through \"/_oauth2/okta\" within 10000 ms, the deadline of the token request; next attempt in)"]



=== TEST 7: workers fetch the token when they start, not again after a reload that changed nothing
--- token_path
/g07/oauth2/v1/token
--- client_extra
prefetch        on;
--- extra_config
    location = /reload {
        proxy_read_timeout 15s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_hup?pidfile=$TEST_NGINX_PIDFILE;
    }
--- request eval
["GET /sleep/1000", "GET /api/1", "GET /reload", "GET /sleep/500",
 "GET /api/2", "GET /stats", "GET /status"]
--- response_body_like eval
["slept", "^backend bearer HIT", "reloaded", "slept", "^backend bearer HIT",
 "^calls=1\n",
 "^/sleep/1000 200 - -\n/api/1 200 HIT -\n/reload 200 - -\n/sleep/500 200 - -\n/api/2 200 HIT -\n\$"]
--- error_log
oauth2 client "okta": new token
--- no_error_log
[error]



=== TEST 8: a refresh under keep-alive load delays no next request on the connection
--- token_path
/s/expires-4/g08/oauth2/v1/token
--- client_extra
refresh_before  2s;
--- api_extra
access_log $TEST_NGINX_LOGDIR/status.log oauth2 if=$oauth2_not_hit;
--- extra_config
    location = /keepalive {
        access_log off;
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_keepalive?port=$TEST_NGINX_SERVER_PORT&path=/api/ka&seconds=4&interval_ms=20&watch=/s/expires-4/g08/oauth2/v1/token;
    }
--- request eval
["GET /api/warm", "GET /fail/expires-60-delay-1500/1", "GET /keepalive",
 "GET /sleep/500", "GET /stats", "GET /status"]
--- timeout: 30
--- response_body_like eval
["^backend bearer MISS", "^ok",
 "^requests=\\d+\nerrors=0\nstatus_200=\\d+\nmax_ms=\\d+\nslow=\\d+\nin_flight=(?:[5-9]|[1-9]\\d+)\n",
 "slept", "^calls=2\n",
 "^/api/warm 200 MISS -\n/fail/expires-60-delay-1500/1 200 - -\n/api/ka 200 REFRESH -\n/sleep/500 200 - -\n\$"]
--- no_error_log
[error]



=== TEST 9: limit_req with a burst in the token location delays the token request: it goes on after the delay
--- token_path
/g09/oauth2/v1/token
--- http_extra
    limit_req_zone $binary_remote_addr zone=g09:1m rate=1r/s;
--- token_extra
limit_req zone=g09 burst=5;
--- extra_config
    location = /limited {
        limit_req zone=g09 burst=5;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BACKEND_PORT;
    }
--- request eval
["GET /limited", "GET /api/1", "GET /api/2", "GET /stats", "GET /status",
 "GET /errors"]
--- response_body_like eval
["^backend none", "^backend bearer MISS", "^backend bearer HIT", "^calls=1\n",
 "^/limited 200 - -\n/api/1 200 MISS -\n/api/2 200 HIT -\n\$",
 "delaying request, excess: \\d+\\.\\d{3}, by zone \"g09\", oauth2 client: \"okta\", token request"]
--- no_error_log
[alert]
[error]



=== TEST 10: a token endpoint that answers X-Accel-Buffering: no
--- token_path
/s/unbuffered/g10/oauth2/v1/token
--- request eval
["GET /api/1", "GET /api/2", "GET /stats"]
--- response_body_like eval
["^backend bearer MISS", "^backend bearer HIT", "^calls=1\n"]
--- no_error_log
[alert]
[error]



=== TEST 11: proxy_buffering off and a send_timeout shorter than the pauses of a trickle: the token request ends at its deadline
--- token_path
/s/unbuffered-trickle-1500/g11/oauth2/v1/token
--- token_extra
proxy_buffering off;
send_timeout 500ms;
--- api_extra
oauth2_token_wait_timeout 2s;
--- request eval
["GET /api/1", "GET /stats", "GET /errors"]
--- error_code eval
[502, 200, 200]
--- response_body_like eval
["502 Bad Gateway", "^calls=1\n",
 "oauth2 client \"okta\": token endpoint response \\(HTTP 200\\) is incomplete after 2000 ms, the deadline of the token request"]
--- no_error_log
[alert]
