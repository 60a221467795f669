#!/usr/bin/env bash
# build-plugin-zip.sh - builds dist/reftrail-<version>.zip: the WordPress plugin as committed, with
# the built browser files (js/dist: loader.js, reftrail.js, reftrail_bg.wasm) in reftrail/assets/
# and, once committed, the merchant dashboard and the affiliate portal (www/dashboard, www/portal
# and www/shared, with the bundled www/vendor) in reftrail/www/ for wp-admin and [reftrail_portal].
#
#   scripts/build-plugin-zip.sh                         # prints the zip's path
#   scripts/build-plugin-zip.sh --built-files-into DIR  # only copies the built files into a plugin dir
#   REFTRAIL_REBUILD_WASM=1 scripts/build-plugin-zip.sh # rebuild js/dist first
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$REPO/wordpress-plugin/reftrail"
cd "$REPO"
ASSETS=(loader.js reftrail.js reftrail_bg.wasm)

have_assets() { for f in "${ASSETS[@]}"; do [ -s "js/dist/$f" ] || return 1; done; }

# built_files DIR: the browser files and the committed dashboard and portal into the plugin directory DIR.
built_files() {
  local dir=$1 f
  if [ "${REFTRAIL_REBUILD_WASM:-}" = 1 ] || ! have_assets; then
    echo "building js/dist with scripts/build-wasm.sh" >&2
    scripts/build-wasm.sh >&2
  fi
  have_assets || { echo "build-plugin-zip: js/dist is incomplete" >&2; exit 1; }
  mkdir -p "$dir/assets"
  for f in "${ASSETS[@]}"; do cp "js/dist/$f" "$dir/assets/$f"; done
  rm -rf "$dir/www"
  if [ -n "$(git ls-files www/dashboard/app.js)" ]; then
    if [ ! -s www/vendor/chart.js ] && [ -x scripts/build-www.sh ]; then scripts/build-www.sh >&2; fi
    git ls-files -z -- www/dashboard www/portal www/shared | while IFS= read -r -d '' f; do
      mkdir -p "$dir/$(dirname "$f")"
      cp "$f" "$dir/$f"
    done
    [ -d www/vendor ] && cp -r www/vendor "$dir/www/"
  fi
  return 0
}

if [ "${1:-}" = --built-files-into ]; then
  built_files "$2"
  exit 0
fi

VERSION=$(sed -n 's/^ \* Version: *\([0-9][0-9A-Za-z.+-]*\).*/\1/p' "$SRC/reftrail.php" | head -1)
[ -n "$VERSION" ] || { echo "build-plugin-zip: no Version header in reftrail.php" >&2; exit 1; }
command -v zip >/dev/null || { echo "build-plugin-zip: zip is not installed (apt-get install zip)" >&2; exit 1; }
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/reftrail"
# The plugin's files as committed (no test leftovers), then the built files.
git -C "$REPO" ls-files -z -- wordpress-plugin/reftrail | while IFS= read -r -d '' f; do
  rel=${f#wordpress-plugin/reftrail/}
  mkdir -p "$STAGE/reftrail/$(dirname "$rel")"
  cp "$f" "$STAGE/reftrail/$rel"
done
built_files "$STAGE/reftrail"
mkdir -p "$REPO/dist"
OUT="$REPO/dist/reftrail-$VERSION.zip"
rm -f "$OUT"
(cd "$STAGE" && TZ=UTC find reftrail -exec touch -d '2026-01-01 00:00:00' {} + && zip -q -X -r "$OUT" reftrail)
echo "$OUT"
