#!/usr/bin/env bash
# Runs every test: formatting and lints, the core's native tests (vectors, conformance, tables),
# the core and its exports in headless Chromium (wasm-bindgen-test), the built loader on real
# pages (Playwright + Debian's Chromium), the size record, the server's suites on SQLite and
# PostgreSQL, the WordPress plugin on a real WordPress, and the end-to-end journey.
# Installs what it needs first (scripts/setup.sh, idempotent).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
scripts/setup.sh
. scripts/env.sh
step() { printf '\n== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all --check
step "clippy (native, all features)"
cargo clippy --quiet --workspace --all-targets --all-features -- -D warnings
step "clippy (browser bundle, wasm32)"
cargo clippy --quiet -p reftrail --lib --target wasm32-unknown-unknown --features bundle -- -D warnings
cargo clippy --quiet -p reftrail --tests --target wasm32-unknown-unknown -- -D warnings

step "native tests"
cargo test --quiet --workspace --all-features

step "wasm tests in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver cargo test -p reftrail --target wasm32-unknown-unknown --test wasm

step "browser bundle"
scripts/build-wasm.sh
step "size budget"
node bench/size.mjs --check

step "TypeScript types of the ES module package"
(cd js && node_modules/.bin/tsc -p .)

step "loader on real pages (Playwright, Chromium)"
(cd tests/browser && node --test --test-concurrency=1 ./*.test.mjs)

step "server: contract suite, durability, two processes (SQLite and PostgreSQL)"
scripts/test-server.sh

step "WordPress plugin: PHPUnit, vectors, Chromium journey, contract suite, release zip"
scripts/test-wordpress.sh

step "the whole journey: demo store, dashboard, portal (Playwright, Chromium)"
scripts/test-e2e.sh
printf '\nall tests passed\n'
