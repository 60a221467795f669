#!/usr/bin/env bash
# Installs, idempotently, everything the build and the tests need on a fresh Debian machine:
# the wasm32 target, wasm-bindgen-cli and wasm-pack at pinned versions, wasm-opt (npm binaryen;
# Debian's binaryen 108 corrupts wasm-bindgen output), Debian's chromium and chromium-driver, a
# Thai font (the Thai pages and tax certificates render in the e2e screenshots, not as boxes), and
# the npm packages of js/ and tests/. A rerun with everything present takes about a second.
#
# Usage: scripts/setup.sh            (source scripts/env.sh afterwards for PATH)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/env.sh
. "$here/scripts/env.sh"

WASM_BINDGEN_VERSION=0.2.130 # must equal the `=` pin in Cargo.toml
WASM_PACK_VERSION=0.15.1
BINARYEN_VERSION=132.0.0

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy

apt_missing=""
for p in ${REFTRAIL_APT_PACKAGES:-chromium chromium-driver brotli fonts-tlwg-loma-ttf}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || apt_missing="$apt_missing $p"
done
if [ -n "$apt_missing" ]; then
  echo "setup: apt-get install$apt_missing" >&2
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $apt_missing
fi

# Without --locked: the CLI's own lockfile pins a crate version the registry mirror lacks.
[ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ] ||
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
[ "$(wasm-pack --version 2>/dev/null)" = "wasm-pack $WASM_PACK_VERSION" ] ||
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked
[ "$(wasm-opt --version 2>/dev/null)" = "wasm-opt version ${BINARYEN_VERSION%%.*} (version_${BINARYEN_VERSION%%.*})" ] ||
  npm install --prefix "$REFTRAIL_TOOLS" --no-fund --no-audit --silent "binaryen@$BINARYEN_VERSION"

# npm packages of the JS build and the browser tests (lockfiles pin them).
for dir in js tests/browser www tests/e2e; do
  if [ -f "$here/$dir/package.json" ] && { [ ! -d "$here/$dir/node_modules" ] || [ "$here/$dir/package-lock.json" -nt "$here/$dir/node_modules/.package-lock.json" ]; }; then
    (cd "$here/$dir" && npm ci --no-fund --no-audit --silent)
  fi
done
