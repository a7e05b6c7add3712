#!/bin/sh
# Assertion signing time per algorithm, with the module's own code
# (bench/sign_bench.c).  Writes $OUT/sign.tsv.

set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/lib.sh"

SECS=${BENCH_SIGN_SECONDS:-2}
CC=${CC:-cc}

mkdir -p "$OUT/keys"
bin=$OUT/sign_bench

$CC -std=c99 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
    -I"$TOP/src" -o "$bin" "$TOP/bench/sign_bench.c" \
    "$TOP/src/ngx_http_oauth2_client_error.c" \
    "$TOP/src/ngx_http_oauth2_client_alg.c" \
    "$TOP/src/ngx_http_oauth2_client_encode.c" \
    "$TOP/src/ngx_http_oauth2_client_key.c" \
    "$TOP/src/ngx_http_oauth2_client_jose.c" \
    "$TOP/src/ngx_http_oauth2_client_body.c" -lcrypto -ljansson

# t/keys has RSA 2048 and the curves; RSA 4096 is made here once
if [ ! -f "$OUT/keys/rsa4096.pem" ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 \
        -out "$OUT/keys/rsa4096.pem" 2>/dev/null
fi

$ON_NGINX "$bin" "$SECS" \
    "RS256-2048:RS256:$KEYS/rsa1.pem" \
    "RS256-4096:RS256:$OUT/keys/rsa4096.pem" \
    "PS256-2048:PS256:$KEYS/rsa1.pem" \
    "ES256:ES256:$KEYS/ec1.pem" \
    "ES384:ES384:$KEYS/ec384.pem" \
    "ES512:ES512:$KEYS/ec521.pem" >"$OUT/sign.tsv"

cat "$OUT/sign.tsv" >&2
