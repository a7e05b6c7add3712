#!/bin/sh
# Builds ngx_http_oauth2_client_module.so into build/.
#
# Without NGINX_SRC: against the installed nginx, from the source tree that
# Debian's nginx-dev ships, configured with the same flags as the nginx
# binary (its conf_flags), so the module loads into that binary.
# With NGINX_SRC=/path/to/nginx-x.y.z: against that tree, --with-compat.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
mkdir -p "$build"

if [ -n "${NGINX_SRC:-}" ]; then
    src=$(cd "$NGINX_SRC" && pwd)
    cd "$src"
    if [ ! -f objs/Makefile ] || [ "$top/config" -nt objs/Makefile ] \
       || [ "$top/CHANGES" -nt objs/Makefile ] \
       || ! grep -q "oauth2_client" objs/Makefile; then
        ./configure --with-compat --with-http_ssl_module \
            --add-dynamic-module="$top" ${NGINX_CONFIGURE_ARGS:-}
    fi
    make -f objs/Makefile modules
else
    dev=/usr/share/nginx/src
    if [ ! -f "$dev/conf_flags" ]; then
        echo "build-module: $dev/conf_flags not found:" \
             "install nginx-dev (apt-get install nginx-dev)" \
             "or give an nginx source tree as NGINX_SRC=" >&2
        exit 1
    fi
    src="$build/nginx-src"
    # CHANGES: config reads the version there
    if [ ! -f "$src/objs/Makefile" ] || [ "$top/config" -nt "$src/objs/Makefile" ] \
       || [ "$top/CHANGES" -nt "$src/objs/Makefile" ]
    then
        rm -rf "$src"
        cp -r "$dev" "$src"
        cd "$src"
        # conf_flags is a bash array: read it with bash
        bash -c '. ./conf_flags &&
                 ./configure "${NGX_CONF_FLAGS[@]}" \
                     --add-dynamic-module="$1"' configure "$top"
    fi
    cd "$src"
    make -f objs/Makefile modules
fi

# a new file, renamed into place: a running nginx that has the old one
# mapped must not see it change under it
cp "$src/objs/ngx_http_oauth2_client_module.so" "$build/.module.so.tmp"
mv -f "$build/.module.so.tmp" "$build/ngx_http_oauth2_client_module.so"
echo "built $build/ngx_http_oauth2_client_module.so"
