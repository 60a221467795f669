#!/usr/bin/env bash
# Builds the browser files into js/dist/: the loader (loader.js), the wasm-bindgen glue
# (reftrail.js, an ES module) and the wasm (reftrail_bg.wasm), each minified/optimized, plus
# the ES module package's entry. Run scripts/setup.sh first (the main and test commands do).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
. scripts/env.sh

cargo build --quiet --release --lib --target wasm32-unknown-unknown --features bundle
rm -rf target/wasm-bindgen && mkdir -p target/wasm-bindgen js/dist
wasm-bindgen --target web --no-typescript --out-dir target/wasm-bindgen --out-name reftrail \
  target/wasm32-unknown-unknown/release/reftrail.wasm
wasm-opt -Oz --strip-debug --strip-producers target/wasm-bindgen/reftrail_bg.wasm -o js/dist/reftrail_bg.wasm
esbuild=js/node_modules/.bin/esbuild
"$esbuild" target/wasm-bindgen/reftrail.js --minify --format=esm --target=es2018 \
  --log-level=warning --outfile=js/dist/reftrail.js
"$esbuild" js/loader.js --minify --target=es2018 --log-level=warning --outfile=js/dist/loader.js
ls -l js/dist | awk 'NR>1 {print "  " $5 "\t" $9}'
