#!/bin/sh
# Token requests made by a cold-start burst: a fresh nginx (4 workers,
# an empty zone) gets 1000 connections at once from wrk while the token
# endpoint takes 500 ms to answer; the mock counts the token requests.
# Repeated BENCH_COLD_RUNS times, each with a new nginx and a token path
# of its own.  Writes $OUT/coldstart.tsv.

set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"

RUNS=${BENCH_COLD_RUNS:-5}
CONNS=${BENCH_COLD_CONNECTIONS:-1000}
PORT=$((PORT_BASE + 8))

cleanup() {
    nginx_stop cold
    nginx_stop upstream
    mock_stop
}
trap cleanup EXIT INT TERM

# wrk needs a descriptor per connection
ulimit -n 8192

mkdir -p "$OUT"
rm -rf "$OUT/mock"
mock_start

nginx_conf upstream 1 "" "
    server {
        listen 127.0.0.1:$UP_PORT backlog=4096;
        location / {
            return 200 \"ok\\n\";
        }
    }"
nginx_start upstream ""

res=$OUT/coldstart.tsv
printf 'run\tconnections\tworkers\ttoken_requests\trequests\terrors\tmax_latency_ms\n' \
    >"$res"

for run in $(seq "$RUNS"); do
    path=/s/delay-500/cold-$run/oauth2/v1/token

    nginx_conf cold 4 "$MODULE" "
    oauth2_client cold {
        token_endpoint  http://127.0.0.1:$MOCK_PORT$path;
        client_id       0oa-cold;
        private_key     $KEYS/ec1.pem;
        key_id          ec1;
        scope           okta.users.read;
    }

    server {
        listen 127.0.0.1:$PORT backlog=4096;

        location = /_oauth2/cold {
            internal;
            subrequest_output_buffer_size 16k;
            proxy_pass http://127.0.0.1:$MOCK_PORT$path;
        }

        location / {
            oauth2_token cold;
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"

    # a new master: the zone starts empty
    nginx_start cold ""

    out=$(wrk -t 2 -c "$CONNS" -d 3s --timeout 10s \
          -s "$TOP/bench/report.lua" "http://127.0.0.1:$PORT/" \
          | sed -n '/^bench_/s/^bench_//p')
    nginx_stop cold

    line=$(printf '%d\t%d\t4\t%s\t%s\t%d\t%d' "$run" "$CONNS" \
           "$(mock_calls "$path")" "$(kv requests "$out")" \
           $(( $(kv errors "$out") + $(kv non2xx "$out") )) \
           $(( $(kv max_us "$out") / 1000 )))
    printf '%s\n' "$line" >>"$res"
    log "cold start: $(printf '%s' "$line" | tr '\t' ' ')"

    if grep -q 'exited on signal\|\[alert\]' "$OUT/cold/logs/error.log"; then
        die "cold start: see $OUT/cold/logs/error.log"
    fi
done
