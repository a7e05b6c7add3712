#!/bin/sh
# Brings promtool, which checks the status endpoint's Prometheus output and
# the example alert rules (t/unit/status-check.sh, t/140-status.t), into
# build/prometheus/ and prints its path:
#
#   sh scripts/promtool.sh
#
# Debian has no package of promtool alone, and installing its prometheus
# package on a machine with systemd also enables and starts a Prometheus
# server.  So the package is only downloaded (apt-get download, no root
# needed) and unpacked (dpkg -x) into build/: nothing is installed,
# no service, no change to the system.  Off Debian, a promtool on PATH is
# used instead; PROMTOOL=/path/to/promtool names one.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir="$top/build/prometheus"
bin="$dir/root/usr/bin/promtool"

if [ -n "${PROMTOOL:-}" ]; then
    echo "$PROMTOOL"
    exit 0
fi

if [ -x "$bin" ]; then
    echo "$bin"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1
then
    if command -v promtool >/dev/null 2>&1; then
        command -v promtool
        exit 0
    fi

    echo "promtool: not a Debian system and no promtool on PATH; install" \
         "Prometheus' promtool, or give PROMTOOL=/path/to/promtool" >&2
    exit 1
fi

rm -rf "$dir"
mkdir -p "$dir/deb"

# apt-get download writes into the current directory
if ! (cd "$dir/deb" && apt-get download -q prometheus >&2); then
    echo "promtool: apt-get download prometheus failed (apt-get update" \
         "first?)" >&2
    exit 1
fi

dpkg -x "$dir"/deb/prometheus_*.deb "$dir/root"

# only promtool is kept (48 MB): the server beside it is as large
find "$dir/root" -type f ! -path "$bin" -delete
rm -rf "$dir/deb"

if [ ! -x "$bin" ]; then
    echo "promtool: no usr/bin/promtool in Debian's prometheus package" >&2
    exit 1
fi

echo "$bin"
