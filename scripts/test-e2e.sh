#!/usr/bin/env bash
# End-to-end journeys of the demo store, the merchant dashboard and the affiliate portal in
# Debian's Chromium (Playwright via playwright-core; never a downloaded browser) against the real
# tracking server and demo shop, each started by the tests on a private SQLite file and free
# loopback ports and stopped by PID. Screenshots land in tests/e2e/artifacts/.
#
# Self-contained: installs what it needs (scripts/setup.sh), builds the browser bundle, the
# pages' libraries, the server and the demo shop. Exits non-zero on any failure.
# Usage: scripts/test-e2e.sh [test file…]      (E2E_KEEP=1 keeps the servers' data and logs)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
scripts/setup.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh
scripts/build-wasm.sh >/dev/null
scripts/build-www.sh
cargo build -q -p reftrail-server -p demo-shop
cd tests/e2e
rm -rf artifacts
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(./*.test.mjs)
fi
node --test --test-concurrency=1 --test-timeout=240000 "${files[@]}"
