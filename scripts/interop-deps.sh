#!/bin/sh
# Installs the authorization server of the interoperability tests,
# t/interop (panva's oidc-provider, pinned by its package-lock.json), with
# "npm ci": when node and npm are here and t/interop/node_modules is
# missing or older than the lock file. Without node or npm it says so and
# does nothing; t/090-interop.t is then skipped.

set -eu

dir=$(cd "$(dirname "$0")/../t/interop" && pwd)
stamp="$dir/node_modules/.installed"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
then
    echo "interop-deps: no node or npm (make deps installs them):" \
         "t/090-interop.t will be skipped" >&2
    exit 0
fi

if [ -f "$stamp" ] && [ ! "$dir/package-lock.json" -nt "$stamp" ] \
   && [ ! "$dir/package.json" -nt "$stamp" ]
then
    exit 0
fi

echo "interop-deps: npm ci in t/interop" \
     "(node $(node --version), npm $(npm --version))"
cd "$dir"
npm ci --no-audit --no-fund
touch "$stamp"
