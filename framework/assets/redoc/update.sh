#!/usr/bin/env bash
# Vendors ReDoc's standalone bundle from the npm package `redoc`, so that `/api/redoc/` is served
# by the app itself (no CDN, works offline and under a strict Content-Security-Policy).
#
# The bundle is checked in beside this script and compiled into restframe with `include_bytes!`:
# building restframe never downloads anything. Run this only to change the ReDoc version:
#   framework/assets/redoc/update.sh 2.5.4
# It fetches the package with `npm pack` (which checks the registry's integrity hash), copies the
# bundle and its licences here, and records the version and the bundle's SHA-256 in VERSION.
set -euo pipefail
version=${1:-2.5.4}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "redoc@$version" >/dev/null && tar xzf "redoc-$version.tgz")
cp "$work/package/bundles/redoc.standalone.js" "$here/redoc.standalone.js"
# The one thing the bundle loads from elsewhere is Redocly's logo in the sidebar footer, from their
# CDN: offline it fails, and a strict Content-Security-Policy refuses it. It becomes an empty
# inline image; the "API docs by Redocly" link stays.
cdn_logo='src:"https://cdn.redoc.ly/redoc/logo-mini.svg"'
grep -qF "$cdn_logo" "$here/redoc.standalone.js" || { echo "update.sh: the CDN logo is gone from this ReDoc: check for other outside URLs" >&2; exit 1; }
sed -i "s|$cdn_logo|src:\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E\"|" "$here/redoc.standalone.js"
cp "$work/package/bundles/redoc.standalone.js.LICENSE.txt" "$here/redoc.standalone.js.LICENSE.txt"
cp "$work/package/LICENSE" "$here/LICENSE"
sum=$(sha256sum "$here/redoc.standalone.js" | cut -d' ' -f1)
printf 'redoc %s (npm), CDN logo made inline by update.sh\nsha256 %s  redoc.standalone.js\n' "$version" "$sum" >"$here/VERSION"
echo "vendored redoc $version ($sum)"
