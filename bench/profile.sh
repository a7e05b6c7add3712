#!/bin/sh
# Instructions per request of configurations A, B and C under callgrind:
# each nginx runs as a single process (master_process off, daemon off)
# under valgrind; after a warm-up (B fetches its token then), counters are
# zeroed, N requests are sent one after another on one keep-alive
# connection, and the counters dumped.  Unlike CPU time this does not
# depend on what else the machine runs.
#
# Writes $OUT/profile.tsv (config, requests, instructions a request, of
# which in the module's handler) and $OUT/profile/callgrind.out.<config>
# (callgrind_annotate them for the whole profile).

set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"
. "$TOP/bench/configs.sh"

N=${BENCH_PROFILE_REQUESTS:-2000}
PROFILE_CFGS=${BENCH_PROFILE_CONFIGS:-A B C}

command -v valgrind >/dev/null || die "valgrind is needed (apt-get install valgrind)"

cleanup() {
    for n in upstream $PROFILE_CFGS; do
        nginx_stop "$n"
    done
    mock_stop
}
trap cleanup EXIT INT TERM

mkdir -p "$OUT/profile"
rm -rf "$OUT/mock"
mock_start

TOKEN=$(mock_get "/_mint?size=$TOKEN_SIZE") || die "the mock mints no token"

hotpath_configs
nginx_start upstream "$ON_LOAD"

res=$OUT/profile.tsv
printf 'config\trequests\tinstructions_per_req\thandler_per_req\n' >"$res"

for c in $PROFILE_CFGS; do
    dir=$OUT/$c
    url=http://127.0.0.1:$(port_of "$c")/
    { echo "master_process off; daemon off;"; cat "$dir/conf/nginx.conf"; } \
        >"$dir/conf/profile.conf"
    cg=$OUT/profile/callgrind.out.$c
    rm -f "$cg"

    valgrind --tool=callgrind --callgrind-out-file="$cg" \
        "$NGINX" -p "$dir/" -c conf/profile.conf -e logs/error.log \
        2>"$OUT/profile/valgrind.$c.log" &
    vg=$!

    for _ in $(seq 300); do
        curl -sf -o /dev/null "$url" && break
        sleep 0.1
    done
    # warm-up: B's token is fetched, every code path loaded
    urls=$(for _ in $(seq 200); do printf '%s ' "$url"; done)
    curl -sf $urls >/dev/null || die "$c does not answer under valgrind"

    callgrind_control --zero "$vg" >/dev/null
    urls=$(for _ in $(seq "$N"); do printf '%s ' "$url"; done)
    curl -sf $urls >/dev/null || die "$c failed under valgrind"
    callgrind_control --dump "$vg" >/dev/null
    kill -QUIT "$vg"
    wait "$vg" || true

    # the dump holds the N requests; the file written at exit, the rest
    part=$cg.1
    total=$(callgrind_annotate "$part" 2>/dev/null \
            | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
    handler=$(callgrind_annotate --inclusive=yes "$part" 2>/dev/null \
              | awk '/:ngx_http_oauth2_client_handler \[/ {
                         gsub(",", "", $1); print $1; exit }')
    awk -v c="$c" -v n="$N" -v t="$total" -v h="${handler:-0}" 'BEGIN {
        printf "%s\t%d\t%.0f\t%.0f\n", c, n, t / n, h / n }' >>"$res"
    log "$(tail -1 "$res")"
done
