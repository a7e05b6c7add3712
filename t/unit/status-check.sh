#!/bin/sh
# What build/test_status wrote into DIR (NAME.prom, NAME.json), checked by
# tools nobody here wrote, and the example alert rules:
#
#   sh t/unit/status-check.sh DIR
#
#   - promtool check metrics on every DIR/*.prom (the text format, and
#     Prometheus' lint: HELP, _total, units...)
#   - promtool check rules docs/oauth2-client.rules.yml
#   - promtool test rules t/unit/status-rules.test.yml (the alerts fire
#     when and with what they should)
#   - every metric the rules and their test name is one the formatter
#     writes
#
# promtool is the one scripts/promtool.sh brings out of Debian's
# prometheus package into build/ (make deps), or PROMTOOL.

set -u

cd "$(dirname "$0")/../.." || exit 2

dir=${1:?usage: status-check.sh DIR}
failed=0

if ! PROMTOOL=$(sh scripts/promtool.sh); then
    echo "status-check: no promtool (scripts/promtool.sh)" >&2
    exit 1
fi

promtool() {
    "$PROMTOOL" "$@"
}

n=0

for f in "$dir"/*.prom; do
    [ -f "$f" ] || continue
    n=$((n + 1))

    if ! out=$(promtool check metrics < "$f" 2>&1) || [ -n "$out" ]; then
        echo "status-check: promtool check metrics $f:" >&2
        echo "$out" >&2
        failed=1
    fi
done

if [ "$n" -eq 0 ]; then
    echo "status-check: no $dir/*.prom" >&2
    exit 1
fi

if ! out=$(promtool check rules docs/oauth2-client.rules.yml 2>&1); then
    echo "$out" >&2
    failed=1
fi

if ! out=$(promtool test rules t/unit/status-rules.test.yml 2>&1); then
    echo "$out" >&2
    failed=1
fi

# the names in the rules' expressions and in the test's series

names=$( (grep -A 3 'expr:' docs/oauth2-client.rules.yml;
          grep 'series:' t/unit/status-rules.test.yml) \
        | grep -o 'oauth2_client_[a-z_]*' | sort -u)

for m in $names; do
    if ! cat "$dir"/*.prom | grep -q "^$m[{ ]"; then
        echo "status-check: $m is not a metric the module writes" >&2
        failed=1
    fi
done

if [ "$failed" -ne 0 ]; then
    echo "status-check: FAILED" >&2
    exit 1
fi

echo "status-check: $n outputs pass promtool check metrics; the rules" \
     "pass promtool check rules and test rules"
