#!/bin/sh
# Installs, from Debian's packages, what building and testing the module
# needs and the machine lacks.  Needs root (or sudo) when anything is
# missing; does nothing otherwise.

set -eu

# python3-h2 (for /usr/bin/python3): the HTTP/2 client of
# t/mock/h2-reset.py, which resets streams (t/120-token-request.t)
pkgs="gcc make perl openssl nginx nginx-dev libssl-dev libjansson-dev
      libpcre2-dev zlib1g-dev libtest-base-perl libcrypt-jwt-perl
      libio-socket-ssl-perl clang libclang-rt-14-dev python3-h2"

# Node.js and npm run the authorization server of the interoperability
# tests (t/interop); a node that is already here (from NodeSource, nvm,
# ...) is kept, Debian's packages only fill in what is missing.
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

# shellcheck disable=SC2086
sh "$(dirname "$0")/apt-missing.sh" deps $pkgs

# promtool checks the status endpoint's Prometheus output and the example
# alert rules (make test-unit, make test-nginx): taken out of Debian's
# prometheus package, downloaded and unpacked into build/, not installed,
# as the package would also start a Prometheus server (scripts/promtool.sh)
sh "$(dirname "$0")/promtool.sh" >/dev/null
