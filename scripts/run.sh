#!/usr/bin/env bash
# The main job: installs what is needed (idempotent), builds the browser bundle, and serves the
# demo pages with the one script tag on loopback, printing their addresses. Ctrl-C stops it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
scripts/setup.sh
. scripts/env.sh
scripts/build-wasm.sh
port="${REFTRAIL_DEMO_PORT:-8000}"
echo "capture demo: http://127.0.0.1:$port/capture/?ref=alice&utm_campaign=spring"
exec node scripts/serve-static.mjs "$port"
