#!/bin/sh
# The version of the module: that of the newest entry of CHANGES, its first
# line ("Changes with ngx_http_oauth2_client_module 0.3.0   unreleased").
# CHANGES is the one place the version is written; the Debian package
# (scripts/build-deb.sh) takes it from here.
#
#   sh scripts/version.sh           prints it: 0.3.0
#   sh scripts/version.sh --date    prints the date of that entry, as
#                                   written ("29 Nov 2026"), or "unreleased"
#   sh scripts/version.sh --check   checks that README.md states the same
#                                   version ("Status: version 0.3.0")

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

line=$(grep -m 1 '^Changes with ngx_http_oauth2_client_module ' \
       "$top/CHANGES" || true)
version=$(echo "$line" | awk '{ print $4 }')
date=$(echo "$line" | awk '{ $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }')

case "$version" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *)
        echo "version: no version in the first entry of $top/CHANGES" >&2
        exit 1
        ;;
esac

case "${1:-}" in
    "")
        echo "$version"
        ;;
    --date)
        echo "$date"
        ;;
    --check)
        stated=$(sed -n 's/^Status: version \([0-9][0-9.]*[0-9]\).*/\1/p' \
                 "$top/README.md")
        if [ "$stated" != "$version" ]; then
            echo "version: README.md says \"Status: version" \
                 "${stated:-(nothing)}\", CHANGES says $version" >&2
            exit 1
        fi
        echo "version: $version in CHANGES and README.md"
        ;;
    *)
        echo "usage: $0 [--date | --check]" >&2
        exit 2
        ;;
esac
