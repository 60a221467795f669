#!/usr/bin/env bash
# build-plugin-zip.sh - builds dist/reftrail-<version>.zip: the WordPress plugin with the built
# browser files (js/dist: loader.js, reftrail.js, reftrail_bg.wasm) in reftrail/assets/.
#
#   scripts/build-plugin-zip.sh            # uses js/dist, building it with scripts/build-wasm.sh if missing
#   REFTRAIL_REBUILD_WASM=1 scripts/build-plugin-zip.sh   # always rebuild js/dist first
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$REPO/wordpress-plugin/reftrail"
cd "$REPO"
ASSETS=(loader.js reftrail.js reftrail_bg.wasm)
have_assets() { for f in "${ASSETS[@]}"; do [ -s "js/dist/$f" ] || return 1; done; }
if [ "${REFTRAIL_REBUILD_WASM:-}" = 1 ] || ! have_assets; then
  echo "building js/dist with scripts/build-wasm.sh" >&2
  scripts/build-wasm.sh >&2
fi
have_assets || { echo "build-plugin-zip: js/dist is incomplete" >&2; exit 1; }
VERSION=$(sed -n 's/^ \* Version: *\([0-9][0-9A-Za-z.+-]*\).*/\1/p' "$SRC/reftrail.php" | head -1)
[ -n "$VERSION" ] || { echo "build-plugin-zip: no Version header in reftrail.php" >&2; exit 1; }
command -v zip >/dev/null || { echo "build-plugin-zip: zip is not installed (apt-get install zip)" >&2; exit 1; }
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/reftrail"
# The plugin's files as committed (no test leftovers), then the built assets.
git -C "$REPO" ls-files -z -- wordpress-plugin/reftrail | while IFS= read -r -d '' f; do
  rel=${f#wordpress-plugin/reftrail/}
  [ "$rel" = assets/.gitignore ] && continue
  mkdir -p "$STAGE/reftrail/$(dirname "$rel")"
  cp "$f" "$STAGE/reftrail/$rel"
done
for f in "${ASSETS[@]}"; do cp "js/dist/$f" "$STAGE/reftrail/assets/$f"; done
mkdir -p "$REPO/dist"
OUT="$REPO/dist/reftrail-$VERSION.zip"
rm -f "$OUT"
(cd "$STAGE" && TZ=UTC find reftrail -exec touch -d '2026-01-01 00:00:00' {} + && zip -q -X -r "$OUT" reftrail)
echo "$OUT"
