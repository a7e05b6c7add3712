#!/bin/sh
# The nginx that scripts/test-asan.sh gives the suite as TEST_NGINX_BINARY:
# execs the ASan build ($ASAN_NGINX_REAL) with the same arguments and pid.
#
# One difference: "nginx -t" / "nginx -T" run without the leak check.
# They return from main() as soon as the configuration test succeeded,
# before nginx stores the new cycle anywhere (src/core/nginx.c: "if
# (ngx_test_config) ... return 0" comes before "ngx_cycle = cycle"), so
# LeakSanitizer would report the whole configuration -- every directive's
# allocations, the module's included -- as leaked, by design of nginx.
# ASan and UBSan stay on for them, and the leak check stays on for every
# nginx that starts, serves and exits (it frees its configuration, and
# with it the module's keys, through their pool cleanups) and for
# configurations that fail (ngx_init_cycle() frees what they allocated).

real=${ASAN_NGINX_REAL:?ASAN_NGINX_REAL: the ASan nginx binary}

for arg; do
    case $arg in
        --*) ;;
        -*[tT]*) ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
                 export ASAN_OPTIONS
                 break ;;
    esac
done

exec "$real" "$@"
