#!/bin/sh
# Installs, from Debian's packages, what building and testing the module
# needs and the machine lacks.  Needs root (or sudo) when anything is
# missing; does nothing otherwise.

set -eu

# python3-h2 (for /usr/bin/python3): the HTTP/2 client of
# t/mock/h2-reset.py, which resets streams (t/120-token-request.t)
pkgs="gcc make perl openssl nginx nginx-dev libssl-dev libjansson-dev
      libpcre2-dev zlib1g-dev libtest-base-perl libcrypt-jwt-perl
      libio-socket-ssl-perl clang libclang-rt-14-dev python3-h2 prometheus"

# prometheus: its promtool checks the status endpoint's Prometheus output
# and the example alert rules (make test-unit, t/unit/status-check.sh);
# only promtool is used.  Debian has no package of promtool alone, and on
# a machine with systemd the package also enables and starts a Prometheus
# server on port 9090 ("systemctl disable --now prometheus" stops it).

# Node.js and npm run the authorization server of the interoperability
# tests (t/interop); a node that is already here (from NodeSource, nvm,
# ...) is kept, Debian's packages only fill in what is missing.
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

# shellcheck disable=SC2086
exec sh "$(dirname "$0")/apt-missing.sh" deps $pkgs
