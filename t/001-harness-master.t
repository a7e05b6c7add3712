# Self-test of the Test::Nginx::Socket harness with a master process,
# two workers and repeated requests (stock nginx only).

use Test::Nginx::Socket 'no_plan';

workers(2);
master_on();
repeat_each(2);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: a worker answers
--- config
    location = /t {
        return 200 "worker $pid\n";
    }
--- request
GET /t
--- response_body_like chomp
^worker \d+$
--- error_log
http request line: "GET /t HTTP/1.1"
--- no_error_log
[error]
exited on signal



=== TEST 2: several requests on a master/worker nginx
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["ok\n", "ok\n", "ok\n"]
--- no_error_log
exited on signal
