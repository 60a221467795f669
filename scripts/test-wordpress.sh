#!/usr/bin/env bash
# test-wordpress.sh - the WordPress plugin's whole test run, self-contained: a private MariaDB and
# a real WordPress on loopback (scripts/wp-test-env.sh), the PHPUnit suites (shared vectors,
# activation, translations, REST routes per caller, hostile input, WooCommerce hooks through the
# stand-in, real HTTP, the portal, uninstall), real-browser journeys in Debian's Chromium
# (affiliate link, checkout through the WooCommerce hook, sale from the page, referrals in
# wp-admin; an affiliate's portal; the blocks in wp-admin's block editor, in Vietnamese too; a
# WooCommerce coupon made in an affiliate's panel of the dashboard), the
# HTTP contract suite of tests/contract/ against http://127.0.0.1:PORT/wp-json/reftrail (the same
# suite the Rust server passes); then PHPUnit, the journeys and the contract suite again on a
# second site under Apache with mod_php; then the release zip installed into a third, fresh
# WordPress and used over HTTP. Everything it starts is stopped by PID when it ends; the exit
# status is non-zero on any failure.
#
#   scripts/test-wordpress.sh
#   KEEP_WP=1 scripts/test-wordpress.sh     # leave the sites running (stop: scripts/wp-test-env-stop.sh)
#   WP_SRC=/tmp/wp-src-6.5 scripts/test-wordpress.sh   # on WordPress 6.5.5 instead of Debian's 6.1.9
#                                           # (tree from ../shared/recipes/wp-src-from-npm.sh 6.5 /tmp/wp-src-6.5)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
SECONDS=0
BASE=${TMPDIR:-/tmp}/reftrail-wp-test-$$
free_port() { # first free loopback port from $1
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
stop_all() {
  local rc=$?
  if [ "${KEEP_WP:-}" != 1 ]; then
    for d in "$BASE/site" "$BASE/apache" "$BASE/zip"; do
      [ -d "$d" ] && WP_ENV_DIR="$d" scripts/wp-test-env-stop.sh --purge >/dev/null 2>&1 || true
    done
    rm -rf "$BASE" "$BASE".*.log
  fi
  exit "$rc"
}
trap stop_all EXIT

# test_site NAME: a WordPress in $BASE/NAME with the plugin from the working tree and the tests'
# mu-plugins, served by $WP_SERVER (php -S or Apache); its environment is sourced.
test_site() {
  export WP_ENV_DIR="$BASE/$1"
  scripts/wp-test-env.sh >"$BASE.$1.log" 2>&1 || { cat "$BASE.$1.log"; exit 1; }
  # shellcheck source=/dev/null
  source "$WP_ENV_DIR/env.sh"
  cp wordpress-plugin/tests/mu-plugins/reftrail-test-probe.php wordpress-plugin/tests/mu-plugins/reftrail-test-checkout.php wordpress-plugin/tests/mu-plugins/reftrail-test-webhook.php wordpress-plugin/tests/mu-plugins/reftrail-test-consent-api.php "$WP_DOCROOT/wp-content/mu-plugins/"
  mkdir -p "$WP_DOCROOT/wp-content/mu-plugins/reftrail-test"
  cp wordpress-plugin/tests/woocommerce-stand-in.php "$WP_DOCROOT/wp-content/mu-plugins/reftrail-test/"
  curl -fsS -o /dev/null "$WP_URL/"   # first request rebuilds the rewrite rules with the plugin's routes
}
# wp_keys: "<new secret key> <publishable key>" of the current site.
wp_keys() {
  php -r '$u = parse_url( getenv( "WP_URL" ) ); $_SERVER["HTTP_HOST"] = $u["host"] . ":" . $u["port"]; require getenv( "WP_DOCROOT" ) . "/wp-load.php"; echo Reftrail_Keys::new_secret( false ), " ", Reftrail_Keys::publishable();'
}
# contract_suite: tests/contract against the current site.
contract_suite() {
  local keys
  keys=$(wp_keys)
  REFTRAIL_BASE_URL="$WP_URL/wp-json/reftrail" REFTRAIL_SECRET_KEY=${keys% *} REFTRAIL_PUBLISHABLE_KEY=${keys#* } \
    REFTRAIL_ADMIN_PASSWORD="$WP_ADMIN_PASS" cargo test -q -p reftrail-server --test contract -- --test-threads 4
}
# clean_log: no PHP warning, notice or error from the plugin in the current site's log.
clean_log() {
  if grep -E 'PHP (Warning|Notice|Fatal error|Deprecated|Parse error)' "$WP_DOCROOT/wp-content/debug.log" | grep -F 'plugins/reftrail/'; then
    echo "the plugin logged PHP problems (above)"; exit 1
  fi
}

# The built browser files and the committed dashboard go into the plugin (ignored by git).
scripts/build-plugin-zip.sh --built-files-into wordpress-plugin/reftrail

echo "== WordPress with the plugin from the working tree"
# Ports below the kernel's ephemeral range (32768-60999 here): a listener there can find its port
# taken by the local end of an outgoing connection that a free-port probe does not see.
export WP_SERVER=php WP_PORT=$(free_port 18081) DB_PORT=$(free_port 23161)
test_site site

echo "== PHPUnit"
phpunit -c wordpress-plugin/tests/phpunit.xml.dist

echo "== A real-browser journey in Chromium"
[ -x /usr/bin/chromium ] || apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends chromium >/dev/null
(cd wordpress-plugin/tests/browser && npm ci --no-audit --no-fund --silent)
keys=$(wp_keys)
REFTRAIL_SECRET_KEY=${keys% *} node --test --test-concurrency=1 wordpress-plugin/tests/browser/journey.test.mjs wordpress-plugin/tests/browser/editor.test.mjs \
  wordpress-plugin/tests/browser/creatives.test.mjs wordpress-plugin/tests/browser/woocommerce-coupons.test.mjs

echo "== The HTTP contract suite (tests/contract) against the plugin"
contract_suite

echo "== No PHP warning, notice or error from the plugin in the site's log"
clean_log
[ "${KEEP_WP:-}" = 1 ] || scripts/wp-test-env-stop.sh --purge >/dev/null

# The same plugin under Apache with mod_php (Debian's apache2 and libapache2-mod-php, installed by
# wp-test-env.sh; our own configuration on a loopback port, started and stopped by its PID): the
# .htaccess files, PHP as www-data, and the click route's early answer behind mod_rewrite.
echo "== Under Apache: PHPUnit (real HTTP: clicks and their cookie, cookie auth, wasm type, webhooks)"
export WP_SERVER=apache WP_PORT=$(free_port $((WP_PORT + 1))) DB_PORT=$(free_port $((DB_PORT + 1)))
test_site apache
phpunit -c wordpress-plugin/tests/phpunit.xml.dist
echo "== Under Apache: the affiliate-link and portal journeys in Chromium"
keys=$(wp_keys)
REFTRAIL_SECRET_KEY=${keys% *} node --test --test-concurrency=1 wordpress-plugin/tests/browser/journey.test.mjs
echo "== Under Apache: the HTTP contract suite"
contract_suite
clean_log

echo "== The release zip in a fresh WordPress"
ZIP=$(scripts/build-plugin-zip.sh)
export WP_SERVER=php WP_ENV_DIR="$BASE/zip" WP_PORT=$(free_port $((WP_PORT + 1))) DB_PORT=$(free_port $((DB_PORT + 1))) WP_PLUGIN_SRC=none
scripts/wp-test-env.sh >"$BASE.zip.log" 2>&1 || { cat "$BASE.zip.log"; exit 1; }
# shellcheck source=/dev/null
source "$WP_ENV_DIR/env.sh"
WP_URL="$WP_URL" php wordpress-plugin/tests/install-zip.php "$WP_DOCROOT" "$ZIP"
curl -fsS -o /dev/null "$WP_URL/"
health=$(curl -fsS "$WP_URL/wp-json/reftrail/healthz")
[ "$(php -r 'echo json_decode($argv[1], true)["status"] ?? "";' "$health")" = ok ] || { echo "healthz: $health"; exit 1; }
page=$(curl -fsS "$WP_URL/?ref=nobody")
grep -q 'id="reftrail-loader"' <<<"$page" || { echo "the installed plugin prints no loader tag"; exit 1; }
ctype=$(curl -fsS -o /dev/null -w '%{content_type}' "$WP_URL/wp-content/plugins/reftrail/assets/reftrail_bg.wasm")
[ "$ctype" = application/wasm ] || { echo "wasm served as $ctype"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' \
  --data '{"affiliate":"nobody","url":"http://127.0.0.1/","consent":"granted"}' "$WP_URL/wp-json/reftrail/v1/clicks")
[ "$code" = 404 ] || { echo "click for an unknown affiliate answered $code"; exit 1; }
echo "zip $(basename "$ZIP") installed, activated and answering in a fresh WordPress"
echo "== all WordPress tests passed in ${SECONDS}s"
