#!/bin/sh
# The demo of ngx_http_oauth2_client_module, on loopback only.
#
#   sh demo/demo.sh start     (re)start the mock and nginx, send one request
#   sh demo/demo.sh stop      stop both; quiet if nothing runs
#   sh demo/demo.sh get PATH [HEADER...]
#                             send a GET through the demo nginx and print
#                             the response (for machines without curl)
#
# "make demo" builds the module and the test keys, then runs "start";
# "make demo-stop" runs "stop".
#
# The mock (t/mock/okta-mock.pl) plays both the token endpoint (any path
# ending in /v1/token) and the protected API (/api/): it verifies each
# client assertion with Crypt::JWT against t/keys/<kid>.pub.pem and only
# accepts API calls that carry a token it issued.
#
# Environment: DEMO_PORT (nginx, default 18080), DEMO_MOCK_PORT (the mock,
# default 18081), TEST_NGINX_BINARY (default /usr/sbin/nginx).
#
# Everything lives in build/demo/: conf/nginx.conf, logs/ (error.log at
# level info, access.log, nginx.pid), mock.log, mock.pid, mock-state/.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
work="$top/build/demo"
module="$top/build/ngx_http_oauth2_client_module.so"
keys="$top/t/keys"
mock="$top/t/mock/okta-mock.pl"
nginx=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
port=${DEMO_PORT:-18080}
mport=${DEMO_MOCK_PORT:-18081}

nginx_pid="$work/logs/nginx.pid"
mock_pid="$work/mock.pid"


die() {
    echo "demo: $*" >&2
    exit 1
}


# pid_of FILE WORD: the pid in FILE if that process runs and its command
# line contains WORD (a stale pid file never gets another process killed)
pid_of() {
    [ -f "$1" ] || return 1
    p=$(head -n 1 "$1" | tr -cd '0-9')
    [ -n "$p" ] || return 1
    kill -0 "$p" 2>/dev/null || return 1
    if [ -r "/proc/$p/cmdline" ]; then
        tr '\0' ' ' < "/proc/$p/cmdline" | grep -q -- "$2" || return 1
    fi
    echo "$p"
}


# wait_gone PID: up to 5 s
wait_gone() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ "$i" -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    ! kill -0 "$1" 2>/dev/null
}


# listening PORT: 0 if something accepts connections on 127.0.0.1:PORT
listening() {
    perl -MIO::Socket::INET -e '
        exit(IO::Socket::INET->new(PeerAddr => "127.0.0.1",
                                   PeerPort => $ARGV[0],
                                   Proto => "tcp", Timeout => 1) ? 0 : 1)
    ' "$1"
}


# wait_port PORT: up to 10 s
wait_port() {
    i=0
    until listening "$1"; do
        [ "$i" -lt 100 ] || return 1
        sleep 0.1
        i=$((i + 1))
    done
}


# fetch PATH [HEADER...]: GET through nginx; prints the status line and
# the body (a small perl client, so that curl is not needed)
fetch() {
    perl -MIO::Socket::INET -e '
        my ($port, $path, @headers) = @ARGV;
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
                                      PeerPort => $port, Proto => "tcp",
                                      Timeout => 10)
            or die "demo: cannot connect to 127.0.0.1:$port: $@\n";
        my $req = "GET $path HTTP/1.0\r\nHost: 127.0.0.1:$port\r\n";
        $req .= "$_\r\n" for @headers;
        print $s "$req\r\n";
        local $/;
        my $resp = <$s> // "";
        my ($head, $body) = split /\r\n\r\n/, $resp, 2;
        my ($status) = ($head // "") =~ /^(HTTP\/\S+ [^\r\n]*)/;
        print $status // "no response", "\n", $body // "";
    ' "$port" "$@"
}


stop() {
    if p=$(pid_of "$nginx_pid" nginx); then
        kill -QUIT "$p" 2>/dev/null || true
        wait_gone "$p" || kill -TERM "$p" 2>/dev/null || true
        wait_gone "$p" || true
        echo "demo: nginx stopped"
    fi

    if p=$(pid_of "$mock_pid" okta-mock); then
        kill -TERM "$p" 2>/dev/null || true
        wait_gone "$p" || true
        echo "demo: mock stopped"
    fi

    # the mock removes its pid file on TERM; a stale one goes here
    pid_of "$mock_pid" okta-mock > /dev/null || rm -f "$mock_pid"
}


write_conf() {
    cat > "$work/conf/nginx.conf" << END
# written by demo/demo.sh; rewritten on every start

load_module $module;

daemon on;
master_process on;
worker_processes 2;

pid $nginx_pid;
error_log $work/logs/error.log info;

events {
    worker_connections 64;
}

http {
    # keep nginx away from the system-wide directories
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;

    log_format demo '\$remote_addr "\$request" \$status '
                    'oauth2=\$oauth2_token_status';
    access_log $work/logs/access.log demo;

    # the token cache: shared by both workers, kept across reloads
    oauth2_token_cache zone=oauth2:1m;

    # the mock stands in for https://<your org>.okta.com
    oauth2_client demo {
        token_endpoint  http://127.0.0.1:$mport/oauth2/v1/token;
        client_id       0oa-demo;
        private_key     $keys/rsa1.pem;
        key_id          rsa1;
        scope           okta.users.read;
        # token_location defaults to /_oauth2/demo
    }

    server {
        listen 127.0.0.1:$port;

        # the token request goes here, as an in-memory subrequest
        location = /_oauth2/demo {
            internal;
            subrequest_output_buffer_size 16k;
            proxy_pass http://127.0.0.1:$mport/oauth2/v1/token;
            proxy_connect_timeout 3s;
            proxy_send_timeout 2s;
            proxy_read_timeout 5s;
        }

        # the protected API, with a token; the mock echoes X-* headers
        location /api/ {
            oauth2_token demo;
            proxy_set_header X-Token-Status \$oauth2_token_status;
            proxy_pass http://127.0.0.1:$mport;
        }

        # the same API without a token: the API refuses the request
        location /plain/ {
            proxy_pass http://127.0.0.1:$mport/api/;
        }
    }
}
END
}


start() {
    [ -f "$module" ] \
        || die "$module not found: run \"make module keys\" or \"make demo\""
    case "$nginx" in
    */*) ;;
    *) nginx=$(command -v "$nginx") || nginx=/nonexistent/nginx ;;
    esac
    [ -x "$nginx" ] \
        || die "no nginx binary at $nginx: set TEST_NGINX_BINARY"
    command -v perl > /dev/null || die "perl not found: run \"make deps\""
    perl -MCrypt::JWT -e 1 2> /dev/null \
        || die "the mock needs Crypt::JWT: run \"make deps\""

    [ -f "$keys/rsa1.pem" ] || sh "$keys/gen.sh" "$keys"

    stop

    for p in "$port" "$mport"; do
        if listening "$p"; then
            die "127.0.0.1:$p is in use; pick other ports with" \
                "DEMO_PORT=... DEMO_MOCK_PORT=..."
        fi
    done

    # a fresh start: no state, no log lines of earlier runs
    rm -rf "$work/mock-state" "$work/logs" "$work/mock.log"
    mkdir -p "$work/conf" "$work/logs" "$work/tmp" "$work/mock-state"

    # the mock: token endpoint and API on one port, in the background
    perl "$mock" --port "$mport" --keys "$keys" \
        --state "$work/mock-state" --pidfile "$mock_pid" \
        < /dev/null > /dev/null 2>> "$work/mock.log" &

    wait_port "$mport" \
        || die "the mock did not start; see $work/mock.log"
    echo "demo: mock token endpoint and API on 127.0.0.1:$mport"

    write_conf

    if ! "$nginx" -q -t -p "$work" -c conf/nginx.conf \
             -e "$work/logs/error.log"
    then
        stop
        die "nginx -t failed; see above and $work/logs/error.log"
    fi

    "$nginx" -p "$work" -c conf/nginx.conf -e "$work/logs/error.log" \
        || { stop; die "nginx did not start; see $work/logs/error.log"; }

    wait_port "$port" \
        || { stop; die "nginx does not listen; see $work/logs/error.log"; }
    echo "demo: nginx with the module on 127.0.0.1:$port"

    echo
    echo "GET http://127.0.0.1:$port/api/hello through nginx; the API"
    echo "answers with what it received (the mock shortens the token):"
    echo
    out=$(fetch /api/hello)
    echo "$out" | sed 's/^/    /'
    echo
    echo "The \"oauth2 client\" lines of $work/logs/error.log:"
    echo
    grep 'oauth2 client' "$work/logs/error.log" | sed 's/^/    /'

    case "$out" in
    "HTTP/1."?" 200 "*)
        ;;
    *)
        echo
        echo "demo: the request failed; see the lines above," \
             "$work/mock.log and make demo-stop" >&2
        exit 1
        ;;
    esac

    cat << END

Try more:

    curl -s http://127.0.0.1:$port/api/hello      # again: x-token-status=HIT
    curl -s -H 'Authorization: Basic dXNlcjpwYXNz' \\
        http://127.0.0.1:$port/api/replaced       # yours is replaced:
    curl -s http://127.0.0.1:$mport/_headers/api/replaced
                                                  # the headers the API got
    curl -s http://127.0.0.1:$port/plain/hello    # no token: refused

  Without curl: sh demo/demo.sh get /api/hello ['Header: value' ...]

    tail -f $work/logs/access.log    # oauth2=MISS, HIT or ERROR
    tail -f $work/logs/error.log     # "oauth2 client" lines
    tail -f $work/mock.log           # what the mock saw

  The configuration is $work/conf/nginx.conf;
  after editing it (a reload keeps the cached token):

    $nginx -p $work -c conf/nginx.conf \\
        -e $work/logs/error.log -s reload

Stop: make demo-stop
END
}


case "${1:-}" in
start)
    start
    ;;
stop)
    stop
    ;;
get)
    shift
    [ $# -ge 1 ] || die "usage: $0 get PATH ['Header: value' ...]"
    fetch "$@"
    ;;
*)
    echo "usage: $0 start | stop | get PATH ['Header: value' ...]" >&2
    exit 2
    ;;
esac
