#!/bin/sh
# Builds the Debian package of the module against the installed Debian
# nginx ("make deb"):
#
#   build/deb/libnginx-mod-http-oauth2-client_<version>_<arch>.deb
#
# with dpkg-buildpackage and the debian/ directory, the way Debian builds
# its own libnginx-mod-* packages (dh-sequence-nginx, from nginx-dev; see
# debian/rules), then checks the nginx-abi dependency against the
# installed nginx and runs lintian on the result; a lintian error fails.
#
# The version is that of CHANGES (scripts/version.sh), written into the
# debian/changelog this script generates. The build happens in a copy of
# the files the package is made of, build/deb/<source>-<version>/, so that
# the checkout stays clean and dpkg-buildpackage's output (written next to
# the source directory) lands in build/deb/.
#
# Installs the Debian packages it needs that are missing (with sudo when
# not root): dpkg-dev, debhelper, nginx-dev, libjansson-dev, libssl-dev,
# lintian.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/deb"
name=libnginx-mod-http-oauth2-client

sh "$top/scripts/apt-missing.sh" "deb deps" \
    dpkg-dev debhelper nginx-dev libjansson-dev libssl-dev lintian

version=$(sh "$top/scripts/version.sh")
sh "$top/scripts/version.sh" --check
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
stage="$out/$name-$version"

rm -rf "$out"
mkdir -p "$stage"
cp -R "$top/config" "$top/src" "$top/docs" "$top/debian" \
      "$top/README.md" "$top/CHANGES" "$top/LICENSE" "$stage/"


# debian/changelog: one entry, for this version. Unreleased versions go to
# UNRELEASED; released ones to the codename of this system. The date is
# that of the CHANGES entry, or, unreleased, of the last commit (or now,
# outside git): dpkg-buildpackage derives SOURCE_DATE_EPOCH from it, which
# sets the timestamps inside the package.
reldate=$(sh "$top/scripts/version.sh" --date)
if [ "$reldate" = unreleased ]; then
    dist=UNRELEASED
    stamp=$(git -C "$top" log -1 --format=%cD 2>/dev/null || true)
    [ -n "$stamp" ] || stamp=$(date -R)
else
    dist=$(. /etc/os-release && echo "${VERSION_CODENAME:-unstable}")
    stamp=$(date -u -R -d "$reldate 12:00")
fi
maint=$(sed -n 's/^Maintainer: //p' "$top/debian/control")
nginx_ver=$(dpkg-query -W -f='${Version}' nginx-dev)

cat > "$stage/debian/changelog" << END
$name ($version) $dist; urgency=medium

  * ngx_http_oauth2_client_module $version, built against Debian's
    nginx-dev $nginx_ver. The changes of the module are in
    /usr/share/doc/$name/CHANGES.gz.

 -- $maint  $stamp
END


cd "$stage"
dpkg-buildpackage --build=binary --no-sign

deb="$out/${name}_${version}_$arch.deb"
[ -f "$deb" ] || { echo "build-deb: $deb was not built" >&2; exit 1; }


# the nginx-abi-* that dh_nginx took from nginx-dev must be what the
# installed nginx provides: apt would refuse the package otherwise
abi=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' \
      | sed -n 's/^ *\(nginx-abi-[^ ]*\).*/\1/p')
provided=$(dpkg-query -W -f='${db:Status-Abbrev} ${Provides}\n' 2>/dev/null \
           | awk '$1 == "ii"' | tr ', ' '\n\n' | grep '^nginx-abi-' || true)
if [ -z "$abi" ] || ! echo "$provided" | grep -qx -- "$abi"; then
    echo "build-deb: the package depends on \"${abi:-no nginx-abi}\"," \
         "the installed nginx provides \"$provided\"" >&2
    exit 1
fi
echo "build-deb: Depends: $(dpkg-deb -f "$deb" Depends)"


# lintian: errors fail the build; warnings, info and pedantic tags are
# shown
changes="$out/${name}_${version}_$arch.changes"
echo "build-deb: lintian $changes"
lintian --fail-on error --display-info --pedantic "$changes"

echo "build-deb: built $deb"
