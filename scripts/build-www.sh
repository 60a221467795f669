#!/usr/bin/env bash
# Bundles the pinned npm libraries of the dashboard and the portal (www/package.json: Chart.js,
# qrcode) into plain ES modules in www/vendor/, which the pages import. Run scripts/setup.sh
# first (it installs www/node_modules from the lockfile).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here/www"
esbuild=node_modules/.bin/esbuild
mkdir -p vendor
"$esbuild" build/chart.entry.js --bundle --minify --format=esm --target=es2020 --platform=browser \
  --log-level=warning --outfile=vendor/chart.js
"$esbuild" build/qrcode.entry.js --bundle --minify --format=esm --target=es2020 --platform=browser \
  --log-level=warning --outfile=vendor/qrcode.js
