#!/bin/sh
# Installs, from Debian's packages, what "make bench" needs beyond what
# building and testing the module need (scripts/deps.sh): wrk, the
# OpenResty Lua module for Debian's nginx (configuration C), gnuplot for
# the plot, util-linux's taskset and curl.  Kept out of scripts/deps.sh so
# that CI stays lean.  Needs root (or sudo) when anything is missing.

set -eu

pkgs="wrk libnginx-mod-http-ndk libnginx-mod-http-lua gnuplot-nox
      util-linux curl"

# shellcheck disable=SC2086
exec sh "$(dirname "$0")/../scripts/apt-missing.sh" "bench deps" $pkgs
