#!/bin/sh
# Build the libFuzzer targets in fuzz/ and run each for a while.
#
#   sh fuzz/run.sh                      every target, FUZZ_SECONDS each
#   sh fuzz/run.sh fuzz_form ...        only these
#
#   FUZZ_SECONDS=60   how long each target runs
#   FUZZ_CC=clang     a clang with libFuzzer (-fsanitize=fuzzer)
#
# Binaries, logs and crash/leak/timeout files go to build/fuzz/.  Each
# target runs on a copy of fuzz/corpus/<target>/ under build/fuzz/work/,
# so the inputs libFuzzer adds never land in the source tree.  Exits
# non-zero if a target does not build, crashes, leaks or hangs.

set -u

cd "$(dirname "$0")/.." || exit 2

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_CC=${FUZZ_CC:-clang}

OUT=build/fuzz
LIBSRCS=
for f in error alg encode key jose json body \
         file pem jwk keyfile dpop challenge jwt secret cert status creds
do
    LIBSRCS="$LIBSRCS src/ngx_http_oauth2_client_$f.c"
done
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined
        -fno-sanitize-recover=undefined -Isrc
        -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror"
LIBS="-lcrypto -ljansson"

ALL="fuzz_token_parse fuzz_base64url fuzz_form fuzz_key_parse
     fuzz_header_value fuzz_jwk_parse fuzz_dpop_nonce
     fuzz_www_authenticate fuzz_status fuzz_prom_check"

case $FUZZ_SECONDS in
    ''|*[!0-9]*)
        echo "fuzz: FUZZ_SECONDS must be a number of seconds" >&2
        exit 2
        ;;
esac

if [ $# -gt 0 ]; then
    TARGETS="$*"
else
    TARGETS=$ALL
fi

# UBSan stops at the first report (-fno-sanitize-recover) and says where
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

mkdir -p "$OUT/work" || exit 2

ntargets=0
total=0
failed=0

for t in $TARGETS; do

    if [ ! -f "fuzz/$t.c" ] || [ ! -d "fuzz/corpus/$t" ]; then
        echo "$t: no fuzz/$t.c or fuzz/corpus/$t/" >&2
        failed=1
        continue
    fi

    ntargets=$((ntargets + 1))

    # fuzz_status checks its Prometheus text with the unit tests' reader,
    # built without coverage (fuzz/status.ignorelist)
    extra=
    case $t in
        fuzz_status)
            extra="-It/unit t/unit/prom_check.c
                   -fsanitize-coverage-ignorelist=fuzz/status.ignorelist"
            ;;
        # the reader itself, on any text
        fuzz_prom_check)
            extra="-It/unit t/unit/prom_check.c"
            ;;
    esac

    # shellcheck disable=SC2086
    if ! $FUZZ_CC $CFLAGS -o "$OUT/$t" "fuzz/$t.c" $extra $LIBSRCS $LIBS \
         > "$OUT/$t.build.log" 2>&1
    then
        cat "$OUT/$t.build.log" >&2
        echo "$t: BUILD FAILED" >&2
        failed=1
        continue
    fi

    # the parsers of whole files and bodies get room, the snapshots of
    # fuzz_status four raw records; the rest less
    case $t in
        fuzz_token_parse|fuzz_key_parse|fuzz_jwk_parse) maxlen=65536 ;;
        fuzz_status|fuzz_prom_check)     maxlen=16384 ;;
        *)                               maxlen=4096 ;;
    esac

    dict=
    case $t in
        fuzz_token_parse) dict=-dict=fuzz/token.dict ;;
        fuzz_jwk_parse)   dict=-dict=fuzz/jwk.dict ;;
        fuzz_www_authenticate) dict=-dict=fuzz/www_authenticate.dict ;;
        fuzz_prom_check)  dict=-dict=fuzz/prom.dict ;;
    esac

    work="$OUT/work/$t"
    rm -rf "$work"
    mkdir -p "$work" || exit 2
    cp fuzz/corpus/"$t"/* "$work"/ || exit 2

    # -timeout: one input running for 10 s is a hang worth a report;
    # the artifacts (crash-*, leak-*, timeout-*, oom-*) go next to the
    # binary, named after the target

    # shellcheck disable=SC2086
    "$OUT/$t" -max_total_time="$FUZZ_SECONDS" -max_len="$maxlen" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$OUT/$t-" $dict "$work" \
        > "$OUT/$t.log" 2>&1
    rc=$?

    # libFuzzer ends a clean run with "Done 123456 runs in 60 second(s)"
    runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs in .*/\1/p' "$OUT/$t.log" \
           | tail -n 1)

    if [ "$rc" -ne 0 ] || [ -z "$runs" ]; then
        echo "$t: FAILED (exit $rc), log $OUT/$t.log" >&2
        grep -E '^==[0-9]+==|^SUMMARY|runtime error|Test unit|^Base64' \
            "$OUT/$t.log" | head -n 20 >&2
        failed=1
        continue
    fi

    ninputs=$(find "$work" -type f | wc -l | tr -d ' ')
    total=$((total + runs))

    echo "$t: $runs executions in ${FUZZ_SECONDS}s, corpus $ninputs inputs, ok"
done

echo "fuzz: $ntargets targets, $total executions"

if [ "$failed" -ne 0 ]; then
    echo "fuzz: FAILED, see $OUT/" >&2
    exit 1
fi
