# A worker killed (SIGKILL) while its token request is in flight: its
# claim is taken over, and another worker fetches the token.  The stand-in
# harness is told that a worker crash is expected here.
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

$ENV{TEST_NGINX_EXPECT_CRASH} = 1;

$ENV{TEST_NGINX_BACKEND_PORT} = OAuth2Mock::free_port();
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

=== TEST 1: a worker killed while its token request is in flight: another takes over
--- token_path
/f07/oauth2/v1/token
--- token_extra
proxy_set_header X-Worker-Pid $pid;
--- api_extra
oauth2_token_wait_timeout 5s;
--- request eval
["GET /fail/kill-worker/1", "GET /fire/api/1", "GET /sleep/500",
 "GET /api/2", "GET /stats", "GET /errors"]
--- response_body_like eval
["^ok", "^fired", "slept", "^backend bearer (?:WAIT|MISS)", "^calls=2\n",
 "(?=.*worker process \\d+ exited on signal 9)(?=.*oauth2 client \"okta\": the token request of process \\d+ is gone or late, taking it over)"]


