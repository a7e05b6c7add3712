# Shell functions shared by the bench/ scripts: the mock token server,
# nginx instances made from a configuration snippet, wrk runs, and the
# CPU time of nginx worker processes read from /proc.
#
# Sourced (". bench/lib.sh") after TOP is set to the repository root.

NGINX=${BENCH_NGINX:-/usr/sbin/nginx}
MODULE=${BENCH_MODULE:-$TOP/build/ngx_http_oauth2_client_module.so}
OUT=${BENCH_OUT:-$TOP/build/bench}
KEYS=$TOP/t/keys
PORT_BASE=${BENCH_PORT_BASE:-2070}

MOCK_PORT=$PORT_BASE
UP_PORT=$((PORT_BASE + 1))

# nginx under test on one CPU set, the load (wrk, the upstream) on
# another, so that they do not take each other's time
if [ "$(nproc)" -ge 2 ]; then
    NGINX_CPUS=${BENCH_NGINX_CPUS:-0}
    LOAD_CPUS=${BENCH_LOAD_CPUS:-1}
    ON_NGINX="taskset -c $NGINX_CPUS"
    ON_LOAD="taskset -c $LOAD_CPUS"
else
    NGINX_CPUS=all
    LOAD_CPUS=all
    ON_NGINX=
    ON_LOAD=
fi

CLK_TCK=$(getconf CLK_TCK)

log() {
    echo "bench: $*" >&2
}

die() {
    echo "bench: $*" >&2
    exit 1
}


# --- the mock token server -------------------------------------------------

mock_start() {
    mkdir -p "$OUT/mock/state"
    perl "$TOP/t/mock/okta-mock.pl" --port "$MOCK_PORT" --keys "$KEYS" \
        --state "$OUT/mock/state" --pidfile "$OUT/mock/mock.pid" \
        >>"$OUT/mock/mock.log" 2>&1 &
    for _ in $(seq 100); do
        mock_get /_reset >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "the mock did not start, see $OUT/mock/mock.log"
}

mock_stop() {
    if [ -f "$OUT/mock/mock.pid" ]; then
        kill "$(cat "$OUT/mock/mock.pid")" 2>/dev/null || true
        rm -f "$OUT/mock/mock.pid"
    fi
}

# GET a path of the mock, body to stdout
mock_get() {
    curl -sf --max-time 30 "http://127.0.0.1:$MOCK_PORT$1"
}

# token requests the mock counted for a token path
mock_calls() {
    mock_get "/_stats$1" | sed -n 's/^calls=//p'
}


# --- nginx instances ---------------------------------------------------------

# nginx_conf NAME WORKERS MODULES HTTP_SNIPPET
# writes $OUT/NAME/conf/nginx.conf: MODULES is a list of .so paths, the
# snippet goes into http { } after the common part
nginx_conf() {
    name=$1 workers=$2 modules=$3 snippet=$4
    dir=$OUT/$name
    mkdir -p "$dir/conf" "$dir/logs"
    {
        for m in $modules; do
            echo "load_module $m;"
        done
        cat <<EOF
worker_processes $workers;
worker_rlimit_nofile 8192;
pid logs/nginx.pid;
error_log logs/error.log ${BENCH_LOG_LEVEL:-warn};

events {
    worker_connections 4096;
}

http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;

    upstream backend {
        server 127.0.0.1:$UP_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }

$snippet
}
EOF
    } >"$dir/conf/nginx.conf"
}

# nginx_start NAME [CPU_PREFIX]: starts it, waits for its workers
nginx_start() {
    name=$1 on=${2-$ON_NGINX}
    dir=$OUT/$name
    rm -f "$dir/logs/nginx.pid"
    $on "$NGINX" -p "$dir/" -c conf/nginx.conf -e logs/error.log \
        || die "nginx $name did not start, see $dir/logs/error.log"
    for _ in $(seq 100); do
        if [ -s "$dir/logs/nginx.pid" ] && [ -n "$(nginx_workers "$name")" ]
        then
            return 0
        fi
        sleep 0.05
    done
    die "nginx $name has no workers, see $dir/logs/error.log"
}

nginx_stop() {
    name=$1
    pidfile=$OUT/$name/logs/nginx.pid
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
}

nginx_workers() {
    master=$(cat "$OUT/$1/logs/nginx.pid" 2>/dev/null) || return 0
    cat "/proc/$master/task/$master/children" 2>/dev/null
}

# utime + stime of the workers of NAME, in clock ticks
nginx_cpu_ticks() {
    total=0
    for pid in $(nginx_workers "$1"); do
        # the fields after the command name, which is in parentheses
        t=$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')
        total=$((total + t))
    done
    echo "$total"
}


# --- wrk ---------------------------------------------------------------------

# wrk_run URL SECONDS CONNECTIONS: key=value lines of bench/report.lua
wrk_run() {
    $ON_LOAD wrk -t "${BENCH_WRK_THREADS:-1}" -c "$3" -d "${2}s" \
        --timeout 10s -s "$TOP/bench/report.lua" "$1" \
        | sed -n '/^bench_/s/^bench_//p'
}

kv() {
    # kv KEY TEXT: the value of KEY=... in TEXT
    printf '%s\n' "$2" | sed -n "s/^$1=//p"
}
