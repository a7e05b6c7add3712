#!/bin/sh
# Builds nginx itself and this module with AddressSanitizer and
# UndefinedBehaviorSanitizer, for "make test-asan" (scripts/test-asan.sh).
#
#   build/asan/nginx-<version>/objs/nginx
#   build/asan/nginx-<version>/objs/ngx_http_oauth2_client_module.so
#
# The nginx source is Debian's source package (apt-get source nginx), the
# same version as the installed nginx, configured with Debian's conf_flags
# (/usr/share/nginx/src/conf_flags, from nginx-dev) so that paths match.
#
# Idempotent: each step is skipped when its result is already there. Steps
# that need root (a deb-src entry, apt-get update / install) run as root or
# through sudo; they are only needed the first time.
#
# Environment:
#   ASAN_CC        compiler (default clang: gcc 12's UBSan, combined with
#                  ASan, writes its reports to stderr and ignores log_path,
#                  where nginx's stderr is the harness's error log; clang's
#                  runtime writes every report to the log_path files)
#   ASAN_EXTRA_CC_OPT  more compiler options, appended (for experiments)
#   ASAN_JOBS      parallel make jobs (default: nproc)

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/asan"
cc=${ASAN_CC:-clang}
jobs=${ASAN_JOBS:-$(nproc 2>/dev/null || echo 2)}
srclist=/etc/apt/sources.list.d/nginx-src.sources

# -fno-sanitize-recover=undefined: a UBSan finding aborts the process (and
# is reported), rather than being printed and forgotten.
cc_opt="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
cc_opt="$cc_opt -fno-sanitize-recover=undefined"
# clang only: UBSan checks left out of a few nginx core functions, each
# justified in the file (nginx would not even start otherwise)
ignorelist="$top/scripts/ubsan-ignorelist.txt"
case "$cc" in
    *clang*) cc_opt="$cc_opt -fsanitize-ignorelist=$ignorelist" ;;
esac
cc_opt="$cc_opt${ASAN_EXTRA_CC_OPT:+ $ASAN_EXTRA_CC_OPT}"
# -z nodelete: nginx dlclose()s the module when it frees its cycle, just
# before exit, and LeakSanitizer's exit-time report could then not name
# the module's functions ("<unknown module>") nor match them.
# -Bsymbolic: the module defines its own ngx_modules[] (and
# ngx_module_names[], ngx_module_order[]), as every dynamic module does;
# without it these references bind to nginx's globals of the same name, ASan
# registers the module's 16-byte ngx_modules over nginx's 576-byte one, and
# the next ngx_cycle_modules() (any reload) aborts with a false
# global-buffer-overflow. (Both flags are no-ops for the nginx executable.)
ld_opt="-fsanitize=address,undefined -Wl,-z,nodelete -Wl,-Bsymbolic"

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "asan-build: need root (or sudo) for: $*" >&2
        exit 1
    fi
}

mkdir -p "$out"

# 1. tools: dpkg-source (dpkg-dev) for apt-get source; nginx-dev for
#    conf_flags; the libraries nginx and the module link against.
missing=
for pkg in dpkg-dev nginx-dev libpcre2-dev libssl-dev zlib1g-dev \
           libjansson-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null \
        | grep -q 'install ok installed' || missing="$missing $pkg"
done
command -v "$cc" >/dev/null 2>&1 || missing="$missing $cc"

# 2. the nginx source package, unpacked once into build/asan/nginx-<ver>/
srcdir=$(find "$out" -maxdepth 1 -type d -name 'nginx-[0-9]*' | sort | tail -n 1)
if [ -z "$srcdir" ] || [ ! -x "$srcdir/configure" ]; then
    # a deb-src entry, in a file of its own, mirroring the deb entry of
    # bookworm main (the system's files are left alone)
    if ! grep -rqs '^[[:space:]]*\(deb-src\|Types:.*deb-src\)' \
            /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "asan-build: adding $srclist"
        as_root sh -c "cat > $srclist" <<'EOF'
# added by scripts/asan-build.sh (ngx_http_oauth2_client_module):
# source packages, for "apt-get source nginx"
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        as_root apt-get update
    elif ! apt-cache showsrc nginx >/dev/null 2>&1; then
        as_root apt-get update
    fi
    if [ -n "$missing" ]; then
        as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends $missing
        missing=
    fi
    # the source of the installed version first; if the archive cannot
    # serve it (a mirror may list a security update whose .dsc it lacks),
    # the other versions it lists, newest first
    ver=$(dpkg-query -W -f='${Version}' nginx-common 2>/dev/null \
          || dpkg-query -W -f='${Version}' nginx 2>/dev/null || true)
    versions=$( (echo "$ver"; apt-cache showsrc nginx 2>/dev/null \
                  | sed -n 's/^Version: //p' | sort -r -V) \
                | awk 'length && !seen[$0]++')
    cd "$out"
    got=
    for v in $versions; do
        echo "asan-build: apt-get source nginx=$v"
        if apt-get source "nginx=$v"; then
            got=$v
            break
        fi
        echo "asan-build: nginx=$v could not be fetched" >&2
    done
    if [ -z "$got" ]; then
        echo "asan-build: apt-get source nginx failed for: $versions" >&2
        exit 1
    fi
    [ "$got" = "$ver" ] || echo "asan-build: NOTE: built from nginx $got," \
        "not the installed $ver (not available as source)" >&2
    printf '%s\n' "$got" > "$out/.source-version"
    srcdir=$(find "$out" -maxdepth 1 -type d -name 'nginx-[0-9]*' | sort | tail -n 1)
fi
if [ -n "$missing" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends $missing
fi
echo "asan-build: nginx source in $srcdir"

# 3. configure (again when the module's config or these flags change)
#
# conf_flags is the common part of Debian's flags (paths, core modules);
# the installed nginx also has static modules that the tests use (e.g.
# sub_filter), so its other static --with-*_module options are added, from
# "nginx -V". Its dynamic modules (=dynamic) are not built: the suite does
# not load them.
bash -c '. /usr/share/nginx/src/conf_flags &&
         printf "%s\n" "${NGX_CONF_FLAGS[@]}"' > "$out/.conf_flags_words"
extra=$( (/usr/sbin/nginx -V 2>&1 || true) | sed -n 's/^configure arguments: //p' \
        | tr ' ' '\n' | grep -E '^--with-[a-z0-9_]+_module$' \
        | grep -v -x -F -f "$out/.conf_flags_words" 2>/dev/null || true)
flags="$cc $cc_opt | $ld_opt | $top | $extra"
flags="$flags | $(cksum < "$ignorelist")"
cd "$srcdir"
if [ ! -f objs/Makefile ] || [ "$top/config" -nt objs/Makefile ] \
   || [ "$(cat objs/.asan-flags 2>/dev/null)" != "$flags" ]; then
    # conf_flags is a bash array: read it with bash
    bash -c '. /usr/share/nginx/src/conf_flags &&
             cc=$1 cc_opt=$2 ld_opt=$3 top=$4 && shift 4 &&
             ./configure "${NGX_CONF_FLAGS[@]}" "$@" \
                 --with-cc="$cc" --with-cc-opt="$cc_opt" \
                 --with-ld-opt="$ld_opt" \
                 --with-debug --add-dynamic-module="$top"' \
        configure "$cc" "$cc_opt" "$ld_opt" "$top" $extra
    printf '%s\n' "$flags" > objs/.asan-flags
fi

# 4. make: nginx and the module (make itself skips what is up to date;
#    the module's sources are dependencies in objs/Makefile)
make -j"$jobs" -f objs/Makefile binary modules

echo "asan-build: built $srcdir/objs/nginx"
echo "asan-build: built $srcdir/objs/ngx_http_oauth2_client_module.so"
