#!/bin/sh
# Installs, from Debian's packages, what building and testing the module
# needs and the machine lacks.  Needs root (or sudo) when anything is
# missing; does nothing otherwise.

set -eu

pkgs="gcc make perl openssl nginx nginx-dev libssl-dev libjansson-dev
      libpcre2-dev zlib1g-dev libtest-base-perl libcrypt-jwt-perl
      clang libclang-rt-14-dev"

# Node.js and npm run the authorization server of the interoperability
# tests (t/interop); a node that is already here (from NodeSource, nvm,
# ...) is kept, Debian's packages only fill in what is missing.
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: not a Debian system; install by hand: $pkgs" >&2
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

echo "deps: installing$missing"

sudo=
if [ "$(id -u)" != 0 ]; then
    sudo=sudo
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing
