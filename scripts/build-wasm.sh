#!/usr/bin/env bash
# Builds the browser files into js/dist/: the loader (loader.js), the runtime bundled with the
# wasm-bindgen glue (reftrail.js, an ES module) and the wasm (reftrail_bg.wasm), each
# minified/optimized. Run scripts/setup.sh first (the main and test commands do).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
. scripts/env.sh

cargo build --quiet --release --lib --target wasm32-unknown-unknown --features bundle
rm -rf js/build && mkdir -p js/build js/dist
wasm-bindgen --target web --no-typescript --out-dir js/build --out-name reftrail \
  target/wasm32-unknown-unknown/release/reftrail.wasm
wasm-opt -Oz --strip-debug --strip-producers js/build/reftrail_bg.wasm -o js/dist/reftrail_bg.wasm
esbuild=js/node_modules/.bin/esbuild
# The runtime and the wasm-bindgen glue, one ES module.
"$esbuild" js/runtime.js --bundle --minify --format=esm --target=es2020 \
  --log-level=warning --outfile=js/dist/reftrail.js
"$esbuild" js/loader.js --minify --target=es2020 --log-level=warning --outfile=js/dist/loader.js
ls -l js/dist | awk 'NR>1 {print "  " $5 "\t" $9}'
