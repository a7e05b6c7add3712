#!/bin/sh
# Zone capacity: how many clients' tokens of 1 KB and of 2 KB a 1m zone
# keeps.  N clients (more than fit) each get one request, in order, so
# that each fetches its token and the zone fills up, dropping the least
# recently used; then one request each in the reverse order: the clients
# still cached answer HIT, and a dropped one's new token can only push
# out clients already counted.  The HITs are the capacity.
# Writes $OUT/zone.tsv.

set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"

ZONE=${BENCH_ZONE_SIZE:-1m}
PORT=$((PORT_BASE + 9))

cleanup() {
    nginx_stop zone
    mock_stop
}
trap cleanup EXIT INT TERM

mkdir -p "$OUT"
rm -rf "$OUT/mock"
mock_start

res=$OUT/zone.tsv
printf 'zone\ttoken_bytes\tclients\tcached\ttoken_requests\tdropped_warnings\tnot_cached_errors\n' \
    >"$res"

# zone_run TOKEN_SIZE CLIENTS
zone_run() {
    size=$1 n=$2 tag=zc$1

    # the mock keeps every jti it saw: a fresh start keeps it fast
    mock_get /_reset >/dev/null

    clients=$(for i in $(seq "$n"); do cat <<EOF
    oauth2_client $tag-$i {
        prefetch        off;
        token_endpoint  http://127.0.0.1:$MOCK_PORT/s/size-$size/$tag-$i/oauth2/v1/token;
        client_id       0oa-$tag-$i;
        private_key     $KEYS/ec1.pem;
        key_id          ec1;
    }
EOF
    done)

    locations=$(for i in $(seq "$n"); do cat <<EOF
        location = /z/$i {
            oauth2_token $tag-$i;
            proxy_set_header X-Token-Status \$oauth2_token_status;
            proxy_pass http://127.0.0.1:$MOCK_PORT/api/;
        }
EOF
    done)

    nginx_conf zone 1 "$MODULE" "
    oauth2_token_cache zone=cap:$ZONE;
$clients

    server {
        listen 127.0.0.1:$PORT;

        location ~ ^/_oauth2/($tag-\\d+)\$ {
            internal;
            subrequest_output_buffer_size 16k;
            proxy_set_header Host 127.0.0.1:$MOCK_PORT;
            proxy_pass http://127.0.0.1:$MOCK_PORT/s/size-$size/\$1/oauth2/v1/token;
        }
$locations
    }"

    : >"$OUT/zone/logs/error.log"
    nginx_start zone ""

    urls=$(for i in $(seq "$n"); do printf 'http://127.0.0.1:%d/z/%d ' "$PORT" "$i"; done)
    curl -s $urls >"$OUT/zone-$size-pass1.txt"
    urls=$(for i in $(seq "$n" -1 1); do printf 'http://127.0.0.1:%d/z/%d ' "$PORT" "$i"; done)
    curl -s $urls >"$OUT/zone-$size-pass2.txt"

    nginx_stop zone

    ok1=$(grep -c '^api: token ok' "$OUT/zone-$size-pass1.txt" || true)
    [ "$ok1" -eq "$n" ] || die "zone: $ok1 of $n requests got a token"

    cached=$(grep -c '^x-token-status=HIT' "$OUT/zone-$size-pass2.txt" || true)
    calls=0
    for i in $(seq "$n"); do
        c=$(mock_calls "/s/size-$size/$tag-$i/oauth2/v1/token")
        calls=$((calls + c))
    done
    dropped=$(grep -c 'no room in oauth2 zone' "$OUT/zone/logs/error.log" || true)
    full=$(grep -c 'is full, the token is not cached' "$OUT/zone/logs/error.log" || true)

    if grep -q 'exited on signal\|\[alert\]\|\[crit\]' "$OUT/zone/logs/error.log"
    then
        die "zone: see $OUT/zone/logs/error.log"
    fi

    printf '%s\t%d\t%d\t%d\t%d\t%d\t%d\n' "$ZONE" "$size" "$n" "$cached" \
        "$calls" "$dropped" "$full" >>"$res"
    log "zone: $(tail -1 "$res" | tr '\t' ' ')"
}

zone_run "${BENCH_ZONE_TOKEN_1K:-1024}" "${BENCH_ZONE_CLIENTS_1K:-1000}"
zone_run "${BENCH_ZONE_TOKEN_2K:-2048}" "${BENCH_ZONE_CLIENTS_2K:-600}"
