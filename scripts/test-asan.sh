#!/bin/sh
# Runs the Test::Nginx suite (t/run-tests) against the nginx and module
# that scripts/asan-build.sh built with ASan + UBSan, with LeakSanitizer on.
# Sanitizer reports fail the run even when every test passes (see the
# end of this file for which ones).
#
#   scripts/test-asan.sh                 all of t/*.t
#   scripts/test-asan.sh t/010-basic.t   given files (as t/run-tests)
#
# The sanitizers write their reports to files (log_path), one per process:
#   $ASAN_REPORTS/san.<pid>   ASan and UBSan errors, LeakSanitizer leak reports
# (default ASAN_REPORTS=build/asan/reports, emptied at the start of a run).
# Files, not stderr: nginx workers' stderr is not the terminal, and the
# harness reads nginx's stderr as its error log.
#
# The options reach every nginx process: the sanitizer runtime reads them
# from the environment when the master starts (before main), and workers
# are fork()ed, not exec()ed, so they run with the options already parsed,
# even though nginx clears the workers' environment.
#
# Environment (besides the TEST_NGINX_* ones t/run-tests honours):
#   ASAN_LEAKS=0      no leak check (ASan and UBSan only; faster)
#   ASAN_REPORTS=dir  where the report files go (and the suite's output,
#                     suite.out, retry.out)
#   ASAN_RETRY=0      a failed test file is not run a second time (see below)
# TEST_NGINX_SERVROOT, TEST_NGINX_PORT etc. keep their usual defaults
# (t/servroot, 1984).

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

srcdir=$(find "$top/build/asan" -maxdepth 1 -type d -name 'nginx-[0-9]*' \
         2>/dev/null | sort | tail -n 1)
nginx="${srcdir:-}/objs/nginx"
module="${srcdir:-}/objs/ngx_http_oauth2_client_module.so"
if [ -z "$srcdir" ] || [ ! -x "$nginx" ] || [ ! -f "$module" ]; then
    echo "test-asan: no ASan build: run scripts/asan-build.sh" \
         "(or make test-asan)" >&2
    exit 2
fi

reports=${ASAN_REPORTS:-$top/build/asan/reports}
mkdir -p "$reports"
reports=$(cd "$reports" && pwd)
rm -f "$reports"/san.*

leaks=${ASAN_LEAKS:-1}
[ "$leaks" = 0 ] || leaks=1

# ASan: halt on the first error (the default) and report to a file;
# detect_leaks: LeakSanitizer at each process's exit.
# fast_unwind_on_malloc=0: jansson and OpenSSL are built without frame
# pointers, so the fast unwinder loses the callers of their mallocs --
# exactly the frames that say whether the module made the allocation.
ASAN_OPTIONS="log_path=$reports/san:detect_leaks=$leaks"
ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0:malloc_context_size=40"
ASAN_OPTIONS="$ASAN_OPTIONS:strict_string_checks=1:detect_stack_use_after_return=1"
ASAN_OPTIONS="$ASAN_OPTIONS:check_initialization_order=1:strict_init_order=1"
# UBSan is built with -fno-sanitize-recover=undefined: the first runtime
# error aborts the process; the report goes to its own file
UBSAN_OPTIONS="log_path=$reports/san:print_stacktrace=1:halt_on_error=${ASAN_UBSAN_HALT:-1}"
# nginx core's own one-time allocations that are still referenced only
# from freed memory at exit; see the comments in the file
LSAN_OPTIONS="suppressions=$top/scripts/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# the ASan nginx, through a wrapper that only turns the leak check off
# for "nginx -t" (see scripts/asan-nginx.sh for why)
ASAN_NGINX_REAL=$nginx
TEST_NGINX_BINARY=$top/scripts/asan-nginx.sh
TEST_NGINX_LOAD_MODULES=$module
export ASAN_NGINX_REAL TEST_NGINX_BINARY TEST_NGINX_LOAD_MODULES

# the keys the tests use (as "make test-nginx" does)
[ -f t/keys/rsa1.pem ] || sh t/keys/gen.sh t/keys

echo "test-asan: nginx   $nginx"
echo "test-asan: module  $module"
echo "test-asan: reports $reports/"
echo "test-asan: ASAN_OPTIONS=$ASAN_OPTIONS"

# run-tests, its output also kept in $1; returns its exit status
run_suite() {
    out=$1
    shift
    { t/run-tests "$@"; echo $? > "$out.status"; } 2>&1 | tee "$out"
    return "$(cat "$out.status")"
}

start=$(date +%s)
run_suite "$reports/suite.out" "$@"
suite=$?
echo "test-asan: suite exit status $suite ($(( $(date +%s) - start )) s)"

# A test file that failed is run once more (ASAN_RETRY=0: never).  The
# sanitizers slow nginx down several times, and a few tests are about
# time (a token that ends before its answer comes, a bounded wait): on a
# busy machine one can miss its window.  Whether the module behaves is
# make test's verdict, which runs first and never retries; this run is
# about memory and undefined behaviour, and a sanitizer report from
# either run fails it all the same.
retry=${ASAN_RETRY:-1}
if [ "$suite" -ne 0 ] && [ "$retry" != 0 ]; then
    failed=$(sed -n 's/^\(t\/[^ ]*\.t\) *(Wstat.*/\1/p' \
             "$reports/suite.out" | sort -u | tr '\n' ' ' | sed 's/ $//')
    if [ -n "$failed" ]; then
        echo "test-asan: RETRY: failed under the sanitizers, run once" \
             "more: $failed"
        # shellcheck disable=SC2086
        run_suite "$reports/retry.out" $failed
        suite=$?
        echo "test-asan: retry exit status $suite"
        [ "$suite" -ne 0 ] || echo "test-asan: NOTE: $failed passed" \
            "on the retry; see $reports/suite.out for the first failure"
    fi
fi

# Every report is printed. The run fails on:
#   - any AddressSanitizer error (overflow, use-after-free, ...),
#   - any UBSan runtime error,
#   - any LeakSanitizer report that names the module
#     (ngx_http_oauth2_client_*) or jansson (json_*, libjansson) anywhere
#     in its stacks -- whether the module or OpenSSL/jansson on its behalf
#     made the allocation.
# Leak reports of nginx core alone (not suppressed by scripts/lsan.supp;
# e.g. main()'s init_cycle pool when a configuration fails to load) are
# printed as warnings and do not fail the run.
fatal=0
warned=0
for f in "$reports"/san.*; do
    [ -s "$f" ] || continue
    kind=$(grep -o -m 1 \
        -e 'ERROR: AddressSanitizer: [a-z-]*' \
        -e 'ERROR: LeakSanitizer: [a-z ]*' \
        -e 'runtime error: .*' "$f" || echo 'unknown report')
    where=nginx
    grep -q 'ngx_http_oauth2_client_' "$f" && where=MODULE
    grep -q -e ' in json_' -e 'libjansson' "$f" && where="$where+jansson"
    if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$f" \
       || ! grep -q 'ERROR: LeakSanitizer' "$f" || [ "$where" != nginx ]
    then
        fatal=$((fatal + 1))
        verdict=FAIL
    else
        warned=$((warned + 1))
        verdict="warning, nginx core leak"
    fi
    echo
    echo "==== test-asan: [$verdict] $where: $kind ($f)"
    cat "$f"
done

echo
[ "$warned" -eq 0 ] || echo "test-asan: $warned report(s) of leaks in nginx" \
    "core only (printed above; not failing)"
if [ "$fatal" -gt 0 ]; then
    echo "test-asan: FAIL: $fatal sanitizer report(s) in $reports/" >&2
    exit 1
fi
if [ "$suite" -ne 0 ]; then
    echo "test-asan: FAIL: the test suite failed (no failing sanitizer" \
         "reports)" >&2
    exit "$suite"
fi
echo "test-asan: PASS: suite passed, no failing sanitizer reports" \
     "(leak check: $([ "$leaks" = 1 ] && echo on || echo off))"
