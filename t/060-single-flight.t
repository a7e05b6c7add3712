# One token request for all workers, refresh ahead of expiry, and a
# backoff shared by all workers after failures.
#
# Blocks end with GET /status: the access log of the block, one line a
# request, "$uri $status $oauth2_token_status $sent_http_retry_after", so
# a whole sequence of requests is checked at once.  The mock's /_fail,
# /_fire, /_burst and /_load drive failures and concurrent clients
# (t/mock/okta-mock.pl); the API is a server of the same nginx.  The
# configuration every block shares is in t/lib/OAuth2Blocks.pm.

use lib 't/lib';
use Cwd qw(cwd);
use Test::Nginx::Socket 'no_plan';
use OAuth2Blocks;
use OAuth2Mock;

OAuth2Mock::start();

$ENV{TEST_NGINX_BACKEND_PORT} = OAuth2Mock::free_port();
$ENV{TEST_NGINX_LOGDIR} = ($ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot')
                          . '/logs';
$ENV{TEST_NGINX_PIDFILE} = "$ENV{TEST_NGINX_LOGDIR}/nginx.pid";

master_on();
workers(4);
worker_connections(4096);
check_accum_error_log();
add_block_preprocessor { OAuth2Blocks::fill(@_) };
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a cold-start burst of 1000 clients on 4 workers makes one token request
--- token_path
/s/delay-1000/f01/oauth2/v1/token
--- extra_config
    location = /burst {
        access_log off;
        proxy_read_timeout 120s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_burst?port=$TEST_NGINX_SERVER_PORT&path=/api/x&n=1000&c=1000;
    }
--- request eval
["GET /burst", "GET /stats"]
--- timeout: 120
--- response_body_like eval
["^n=1000\nok=1000\nerrors=0\nstatus_200=1000\n", "^calls=1\n"]
--- no_error_log
[error]



=== TEST 2: short-lived tokens under load are refreshed behind the requests
--- token_path
/s/expires-4-delay-1000/f02/oauth2/v1/token
--- client_extra
refresh_before  1500ms;
--- extra_config
    location = /load {
        access_log off;
        proxy_read_timeout 60s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_load?port=$TEST_NGINX_SERVER_PORT&path=/api/x&seconds=20&c=4&slow_ms=800;
    }
--- request eval
["GET /api/warm", "GET /load", "GET /stats"]
--- timeout: 60
--- response_body_like eval
["^backend bearer MISS",
 "^requests=\\d+\nerrors=0\nstatus_200=\\d+\nmax_ms=\\d+\nslow=0\n",
 "^calls=(?:[6-9]|1[0-4])\n"]
--- no_error_log
[error]



=== TEST 3: the token endpoint down: the live token is served, then 503 at once
--- token_path
/s/expires-3/f03/oauth2/v1/token
--- client_extra
refresh_before  2s;
--- request eval
["GET /api/1", "GET /fail/status-503", "GET /sleep/1000", "GET /api/2",
 "GET /sleep/300", "GET /api/3", "GET /sleep/2000", "GET /api/4",
 "GET /api/5", "GET /stats", "GET /status", "GET /errors"]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 502, 503, 200, 200, 200]
--- response_body_like eval
["^backend bearer MISS", "^ok", "slept", "^backend bearer REFRESH",
 "slept", "^backend bearer STALE", "slept", "502 Bad Gateway",
 "503 Service", "^calls=3\n",
 "^/api/1 200 MISS -
/fail/status-503 200 - -
/sleep/1000 200 - -
/api/2 200 REFRESH -
/sleep/300 200 - -
/api/3 200 STALE -
/sleep/2000 200 - -
/api/4 502 ERROR -
/api/5 503 BACKOFF [12]
\$",
 "(?=.*oauth2 client \"okta\": token request failed: HTTP 503, error \"server_error\": \"mock status 503\"; next attempt in (?:0\\.[5-9]\\d\\d|1\\.000) s)(?=.*oauth2 client \"okta\": token request failed: HTTP 503, error \"server_error\": \"mock status 503\"; next attempt in (?:1\\.\\d\\d\\d|2\\.000) s)"]



=== TEST 4: 429 with X-Rate-Limit-Reset: no attempt before the reset
--- token_path
/s/rate-limit-2/f04/oauth2/v1/token
--- request eval
["GET /api/1", "GET /api/2", "GET /sleep/1000", "GET /api/3",
 "GET /sleep/1300", "GET /api/4", "GET /stats", "GET /status"]
--- error_code eval
[502, 503, 200, 503, 200, 502, 200, 200]
--- response_body_like eval
["502 Bad Gateway", "503 Service", "slept", "503 Service", "slept",
 "502 Bad Gateway", "^calls=2\n",
 "^/api/1 502 ERROR -
/api/2 503 BACKOFF 2
/sleep/1000 200 - -
/api/3 503 BACKOFF 1
/sleep/1300 200 - -
/api/4 502 ERROR -
\$"]
--- error_log eval
qr/oauth2 client "okta": token request failed: HTTP 429, errorCode "E0000047": "API call exceeded rate limit due to too many requests\."; next attempt in 2\.000 s/



=== TEST 5: 429 with Retry-After
--- token_path
/s/retry-after-3/f05/oauth2/v1/token
--- request eval
["GET /api/1", "GET /api/2", "GET /status"]
--- error_code eval
[502, 503, 200]
--- response_body_like eval
["502 Bad Gateway", "503 Service",
 "^/api/1 502 ERROR -
/api/2 503 BACKOFF 3
\$"]
--- error_log eval
qr/HTTP 429, errorCode "[^"]*": "[^"]*"; next attempt in 3\.000 s/



=== TEST 6: a refused client backs off long and says what to check
--- token_path
/s/invalid-client/f06/oauth2/v1/token
--- request eval
["GET /api/1", "GET /api/2", "GET /stats", "GET /status"]
--- error_code eval
[502, 503, 200, 200]
--- response_body_like eval
["502 Bad Gateway", "503 Service", "^calls=1\n",
 "^/api/1 502 ERROR -
/api/2 503 BACKOFF (?:[3-5]\\d|60)
\$"]
--- error_log eval
qr/token request failed: HTTP 401, error "invalid_client": "[^"]*"; next attempt in (?:[3-5]\d\.\d\d\d|60\.000) s: the server does not accept the client; check client_id, key_id, private_key/



=== TEST 7: a reload while a token request is in flight
--- token_path
/f08/oauth2/v1/token
--- extra_config
    location = /reload {
        proxy_read_timeout 15s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/_hup?pidfile=$TEST_NGINX_PIDFILE;
    }
--- request eval
["GET /fail/delay-2500/1", "GET /fire/api/1", "GET /sleep/300",
 "GET /reload", "GET /api/2", "GET /stats"]
--- response_body_like eval
["^ok", "^fired", "slept", "reloaded", "^backend bearer (?:WAIT|HIT)",
 "^calls=1\n"]
--- no_error_log
[error]
[emerg]



=== TEST 8: oauth2_token_purge drops the token the upstream refused
--- token_path
/f09/oauth2/v1/token
--- extra_config
    location /revoked/ {
        oauth2_token okta;
        oauth2_token_purge on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api401/;
    }

    location /kept/ {
        oauth2_token okta;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api401/;
    }
--- request eval
["GET /api/1", "GET /kept/1", "GET /api/2", "GET /revoked/1", "GET /api/3",
 "GET /api/4", "GET /stats", "GET /status", "GET /errors"]
--- error_code eval
[200, 401, 200, 401, 200, 200, 200, 200, 200]
--- response_body_like eval
["MISS", "revoked", "HIT", "revoked", "MISS", "HIT", "^calls=2\n",
 "^/api/1 200 MISS -
/kept/1 401 HIT -
/api/2 200 HIT -
/revoked/1 401 HIT -
/api/3 200 MISS -
/api/4 200 HIT -
\$",
 "oauth2 client \"okta\": the upstream answered 401 to token sha256:[0-9a-f]{8}, dropped from the cache"]



=== TEST 9: the wait for another token request is bounded
--- token_path
/f10/oauth2/v1/token
--- api_extra
oauth2_token_wait_timeout 5s;
--- extra_config
    location /impatient/ {
        oauth2_token okta;
        oauth2_token_wait_timeout 500ms;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BACKEND_PORT;
    }
--- request eval
["GET /fail/delay-2000/1", "GET /fire/api/1", "GET /sleep/200",
 "GET /impatient/1", "GET /sleep/2500", "GET /impatient/2", "GET /stats",
 "GET /status", "GET /errors"]
--- error_code eval
[200, 200, 200, 503, 200, 200, 200, 200, 200]
--- response_body_like eval
["^ok", "^fired", "slept", "503 Service", "slept", "^backend bearer",
 "^calls=1\n",
 "^/fail/delay-2000/1 200 - -
/fire/api/1 200 - -
/sleep/200 200 - -
/impatient/1 503 ERROR 1
(?:/api/1 200 MISS -
)?/sleep/2500 200 - -
(?:/api/1 200 MISS -
)?/impatient/2 200 HIT -
\$",
 "oauth2 client \"okta\": no token after waiting 500 ms for another token request while getting a token, client: "]



=== TEST 10: a client gone during the token request: the token request goes on, its token is stored
--- token_path
/f11/oauth2/v1/token
--- extra_config
    location = /abandon {
        proxy_read_timeout 300ms;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/api/abandoned;
    }
--- request eval
["GET /fail/delay-1500/1", "GET /abandon", "GET /sleep/1500", "GET /api/2",
 "GET /stats", "GET /status"]
--- error_code eval
[200, 504, 200, 200, 200, 200]
--- response_body_like eval
["^ok", "504 Gateway", "slept", "^backend bearer HIT", "^calls=1\n",
 "/api/abandoned 499 MISS -\n(?:.*\n)?/api/2 200 HIT -\n"]
--- no_error_log
next attempt



=== TEST 11: an upstream that refuses every token does not make every request fetch
--- token_path
/f12/oauth2/v1/token
--- extra_config
    location /revoked/ {
        oauth2_token okta;
        oauth2_token_purge on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/api401/;
    }
--- request eval
["GET /revoked/1", "GET /revoked/2", "GET /revoked/3", "GET /api/4",
 "GET /stats", "GET /status", "GET /errors"]
--- error_code eval
[401, 401, 401, 200, 200, 200, 200]
--- response_body_like eval
["revoked", "revoked", "revoked", "^backend bearer HIT", "^calls=2\n",
 "^/revoked/1 401 MISS -
/revoked/2 401 MISS -
/revoked/3 401 HIT -
/api/4 200 HIT -
\$",
 "(?=.*dropped from the cache)(?=.*kept: it replaced a dropped token less than 10 s ago)"]


