#!/bin/sh
# Configurations A-D side by side: four nginx instances of the same binary
# (2 workers each, pinned to one CPU set), proxying with upstream
# keepalive to one trivial upstream nginx; wrk (pinned to the other CPU
# set) drives them in turn, A B C D in every round.
#
#   A  static proxy_set_header Authorization "Bearer <1 KB token>"
#   B  oauth2_token, the token cached (cache hit)
#   C  access_by_lua_block: lua_shared_dict get + ngx.req.set_header
#   D  oauth2_token, tokens that live 5 s (refreshed under load)
#
# Then a latency timeline of B and D (access log, 100 ms buckets).
# Writes $OUT/hotpath.tsv (one line a run) and $OUT/timeline-*.tsv.

set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"

ROUNDS=${BENCH_ROUNDS:-8}
SECONDS_RUN=${BENCH_SECONDS:-6}
WARMUP=${BENCH_WARMUP:-3}
CONNS=${BENCH_CONNECTIONS:-64}
TIMELINE=${BENCH_TIMELINE_SECONDS:-20}
. "$TOP/bench/configs.sh"

cleanup() {
    for n in upstream A B C D B-log D-log; do
        nginx_stop "$n"
    done
    mock_stop
}
trap cleanup EXIT INT TERM

mkdir -p "$OUT"
rm -rf "$OUT/mock"
mock_start

# a real 1 KB token from the mock, for A and C (B and D fetch their own)
TOKEN=$(mock_get "/_mint?size=$TOKEN_SIZE") \
    || die "the mock mints no token"
[ ${#TOKEN} -eq "$TOKEN_SIZE" ] || die "token of ${#TOKEN} bytes"

hotpath_configs

# --- runs --------------------------------------------------------------------

nginx_start upstream "$ON_LOAD"
for c in $cfgs B-log D-log; do
    nginx_start "$c"
done

# every configuration answers 200, B and D with their own token
for c in $cfgs; do
    url=http://127.0.0.1:$(port_of "$c")/
    curl -sf -o /dev/null "$url" || die "config $c does not answer 200"
done

res=$OUT/hotpath.tsv
printf 'round\tconfig\trequests\tseconds\trps\tp50_us\tp99_us\tcpu_ticks\tcpu_us_per_req\terrors\n' >"$res"

log "warm-up, ${WARMUP} s each"
for c in $cfgs; do
    wrk_run "http://127.0.0.1:$(port_of "$c")/" "$WARMUP" "$CONNS" >/dev/null
done

for round in $(seq "$ROUNDS"); do
    for c in $cfgs; do
        before=$(nginx_cpu_ticks "$c")
        out=$(wrk_run "http://127.0.0.1:$(port_of "$c")/" "$SECONDS_RUN" \
              "$CONNS")
        after=$(nginx_cpu_ticks "$c")

        reqs=$(kv requests "$out")
        dur=$(kv duration_us "$out")
        errs=$(( $(kv errors "$out") + $(kv non2xx "$out") ))
        ticks=$((after - before))

        line=$(awk -v r="$round" -v c="$c" -v n="$reqs" -v d="$dur" \
                   -v p50="$(kv p50_us "$out")" -v p99="$(kv p99_us "$out")" \
                   -v t="$ticks" -v hz="$CLK_TCK" -v e="$errs" 'BEGIN {
            printf "%s\t%s\t%d\t%.3f\t%.0f\t%d\t%d\t%d\t%.3f\t%d\n",
                   r, c, n, d / 1e6, n / (d / 1e6), p50, p99, t,
                   t / hz * 1e6 / n, e }')
        printf '%s\n' "$line" >>"$res"
        log "$(printf '%s' "$line" | tr '\t' ' ')"
    done
done

# --- timeline ----------------------------------------------------------------

for c in B-log D-log; do
    url=http://127.0.0.1:$(port_of "$c")/
    wrk_run "$url" "$WARMUP" "$CONNS" >/dev/null
    # the warm-up's lines, buffered ones included, to a file of their own
    mv "$OUT/$c/logs/access.log" "$OUT/$c/logs/access-warmup.log"
    kill -USR1 "$(cat "$OUT/$c/logs/nginx.pid")"
    sleep 0.5
    log "timeline $c, $TIMELINE s"
    wrk_run "$url" "$TIMELINE" "$CONNS" >"$OUT/timeline-$c.wrk"
    nginx_stop "$c"
    perl "$TOP/bench/timeline.pl" "$OUT/$c/logs/access.log" \
        >"$OUT/timeline-$c.tsv"
done

# token requests the mock saw
for c in B B-log; do
    printf '%s\t%s\n' "$c" "$(mock_calls "$(b_path "$c")")"
done >"$OUT/hotpath-token-requests.tsv"
for c in D D-log; do
    printf '%s\t%s\n' "$c" "$(mock_calls "$(d_path "$c")")"
done >>"$OUT/hotpath-token-requests.tsv"

for c in $cfgs; do
    if grep -q '\[\(alert\|crit\|emerg\)\]' "$OUT/$c/logs/error.log"; then
        die "config $c logged alerts, see $OUT/$c/logs/error.log"
    fi
done
