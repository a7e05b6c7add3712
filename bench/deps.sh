#!/bin/sh
# Installs, from Debian's packages, what "make bench" needs beyond what
# building and testing the module need (scripts/deps.sh): wrk, the
# OpenResty Lua module for Debian's nginx (configuration C), gnuplot for
# the plot, util-linux's taskset and curl.  Kept out of scripts/deps.sh so
# that CI stays lean.  Needs root (or sudo) when anything is missing.

set -eu

pkgs="wrk libnginx-mod-http-ndk libnginx-mod-http-lua gnuplot-nox
      util-linux curl"

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "bench deps: not a Debian system; install by hand: $pkgs" >&2
    exit 0
fi

missing=
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
         | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "bench deps: installing$missing"

sudo=
if [ "$(id -u)" != 0 ]; then
    sudo=sudo
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing
