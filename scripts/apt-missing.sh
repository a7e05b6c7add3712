#!/bin/sh
# Installs those of the given Debian packages that are not installed:
#
#   sh scripts/apt-missing.sh LABEL PACKAGE...
#
# LABEL starts its lines ("deps", "bench deps").  Needs root (or sudo)
# when anything is missing; does nothing otherwise.  Off Debian, it names
# the packages to install by hand and succeeds.  Used by scripts/deps.sh
# and bench/deps.sh.

set -eu

label=$1
shift

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "$label: not a Debian system; install by hand: $*" >&2
    exit 0
fi

missing=
for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
         | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "$label: installing$missing"

sudo=
if [ "$(id -u)" != 0 ]; then
    sudo=sudo
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing
