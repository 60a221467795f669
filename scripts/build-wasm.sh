#!/usr/bin/env bash
# Builds the browser files into js/dist/: the loader (loader.js), the runtime (reftrail.js, an ES
# module that also instantiates the wasm) and the wasm (reftrail_bg.wasm), each minified/optimized.
# js/build/ keeps the wasm before wasm-opt, with its names, for bench/wasm-top.py and twiggy.
# Run scripts/setup.sh first (the main and test commands do).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
. scripts/env.sh

cargo build --quiet --release --lib --target wasm32-unknown-unknown --features bundle
rm -rf js/build && mkdir -p js/build js/dist
cp target/wasm32-unknown-unknown/release/reftrail.wasm js/build/reftrail_bg.wasm
# --low-memory-unused lets wasm-opt fold added constants into load and store offsets: it assumes
# no address computation wraps around into the first 1 KB, which Rust's pointer arithmetic never
# does (the difference would only show for an add that overflows 2^32).
wasm-opt -Oz --low-memory-unused --strip-debug --strip-producers js/build/reftrail_bg.wasm -o js/dist/reftrail_bg.wasm
esbuild=js/node_modules/.bin/esbuild
# The runtime, one ES module.
"$esbuild" js/runtime.js --bundle --minify --format=esm --target=es2020 \
  --log-level=warning --outfile=js/dist/reftrail.js
"$esbuild" js/loader.js --minify --target=es2020 --log-level=warning --outfile=js/dist/loader.js
ls -l js/dist | awk 'NR>1 {print "  " $5 "\t" $9}'
