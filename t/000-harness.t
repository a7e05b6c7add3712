# Self-test of the Test::Nginx::Socket harness, using stock nginx only.
# It passes under upstream Test::Nginx::Socket too.  The must_die blocks
# check no error_log: an nginx built to log start-up errors to stderr
# (Debian's) keeps them out of error.log, where upstream looks; the
# suite checks configuration errors with nginx -t instead (030-config.t).

use Test::Nginx::Socket;

$ENV{TEST_NGINX_GREETING} = 'howdy';

plan tests => repeat_each() * 52;

run_tests();

__DATA__

=== TEST 1: sanity
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello
--- no_error_log
[error]



=== TEST 2: response headers, present and absent
--- config
    location = /t {
        add_header X-Foo bar;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Foo: bar
Content-Type: text/plain
Content-Length: 3
!X-Bar
--- response_body
ok



=== TEST 3: 404 with the error it logs
--- config
--- request
GET /no-such-file.html
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log
No such file or directory



=== TEST 4: error_log eval with a regex and a string
--- config
    location = /t {
        return 500;
    }
--- request
GET /t
--- error_code: 500
--- response_body_like: 500 Internal Server Error
--- error_log eval
[qr{http request line: "GET /t HTTP/1\.1"}, "http finalize request: 500"]
--- no_error_log
[error]
[alert]



=== TEST 5: several requests, one connection each
--- config
    location = /a {
        return 200 "a\n";
    }
    location = /len {
        return 200 "len=$http_content_length\n";
    }
--- request eval
["GET /a", "GET /missing", "POST /len\nhello world\n"]
--- error_code eval
[200, 404, 200]
--- response_body_like eval
["^a\n\$", "404 Not Found", "^len=11\n\$"]
--- no_error_log
[crit]



=== TEST 6: more_headers are sent
--- config
    location = /t {
        return 200 "x-foo: $http_x_foo, host: $host\n";
    }
--- more_headers
X-Foo: howdy
--- request
GET /t
--- response_body
x-foo: howdy, host: localhost



=== TEST 7: response_body_like
--- config
    location = /t {
        return 200 "time: $msec\n";
    }
--- request
GET /t
--- response_body_like chomp
^time: \d+\.\d{3}$



=== TEST 8: chunked response (HTTP/1.1)
--- config
    location = /t {
        sub_filter_types text/plain;
        sub_filter hello world;
        return 200 "hello\n";
    }
--- request
GET /t
--- response_headers
Transfer-Encoding: chunked
!Content-Length
--- response_body
world



=== TEST 9: close-delimited response (HTTP/1.0)
--- config
    location = /t {
        sub_filter_types text/plain;
        sub_filter hello world;
        return 200 "hello\n";
    }
--- request
GET /t HTTP/1.0
--- response_headers
!Transfer-Encoding
!Content-Length
--- response_body
world



=== TEST 10: $TEST_NGINX_* variables are expanded in the config
--- http_config
    map $uri $greeting {
        default "$TEST_NGINX_GREETING";
    }
--- config
    location = /t {
        return 200 "$greeting from port $TEST_NGINX_SERVER_PORT\n";
    }
--- request
GET /t
--- response_body
howdy from port $ServerPort



=== TEST 11: unknown directive: nginx must die
--- config
    location = /t {
        no_such_directive on;
    }
--- request
GET /t
--- must_die



=== TEST 12: must_die with an exit code
--- config
    location = /t {
        return a b c;
    }
--- must_die: 1



=== TEST 13: user_files are served from html/
--- user_files
>>> sub/hello.txt
hello from a file
--- config
--- request
GET /sub/hello.txt
--- response_body
hello from a file



=== TEST 14: main_config and wait
--- main_config
worker_rlimit_nofile 1024;
--- config
    location = /t {
        return 204;
    }
--- request
GET /t
--- wait: 0.1
--- error_code: 204
--- response_body
--- no_error_log
[warn]



=== TEST 15: response_body_filters: code references and names, one list a request
--- config
    location = /t {
        return 200 "Hello\n";
    }
--- request eval
["GET /t", "GET /t"]
--- response_body_filters eval
[[sub { scalar reverse $_[0] }, "uc"], ["length"]]
--- response_body eval
["\nOLLEH", "6"]
