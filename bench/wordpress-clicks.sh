#!/usr/bin/env bash
# wordpress-clicks.sh - clicks per second, latency and CPU per request of the plugin's click route
# on a real WordPress (Debian's 6.1, PHP 8.2, php -S with workers, private MariaDB), next to a
# plain REST route that validates the same body and inserts one row, and next to the plugin's
# click route taken through WordPress's usual REST dispatch. Checks that every 201 left a row.
#
#   bench/wordpress-clicks.sh                 # DURATION=20 CONNECTIONS=8 THREADS=2 WORKERS=4
# Results go to stdout; bench/wordpress-clicks.md records a run.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
export PHP_CLI_SERVER_WORKERS=${WORKERS:-4}
command -v wrk >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -q wrk >/dev/null
BASE=${TMPDIR:-/tmp}/reftrail-wp-bench-$$
free_port() { local p=$1; while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
export WP_ENV_DIR="$BASE" WP_PORT=$(free_port 18181) DB_PORT=$(free_port 33261)
trap 'scripts/wp-test-env-stop.sh --purge >/dev/null 2>&1 || true' EXIT
mkdir -p wordpress-plugin/reftrail/assets
for f in loader.js reftrail.js reftrail_bg.wasm; do [ -s "js/dist/$f" ] && cp "js/dist/$f" wordpress-plugin/reftrail/assets/; done
scripts/wp-test-env.sh >/dev/null
# shellcheck source=/dev/null
source "$WP_ENV_DIR/env.sh"
cp bench/wordpress-plain-route.php "$WP_DOCROOT/wp-content/mu-plugins/"
db() { mariadb --no-defaults --socket="$WP_DB_SOCKET" -uroot "$WP_DB_NAME" -N -e "$1"; }
db "CREATE TABLE IF NOT EXISTS wp_bench_plain (id bigint unsigned NOT NULL AUTO_INCREMENT, affiliate varchar(64) NOT NULL, url text NOT NULL, at bigint NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
php -r '$_SERVER["HTTP_HOST"]="127.0.0.1"; require getenv("WP_DOCROOT")."/wp-load.php"; try { Reftrail_Affiliates::create(array("id"=>"bench","name"=>"Bench")); } catch (Reftrail_Http_Error $e) {}'
curl -fsS -o /dev/null "$WP_URL/"

WEB_PGID=$(cat "$WP_ENV_DIR/web.pid"); DB_PID=$(cat "$WP_ENV_DIR/db/mariadbd.pid")
TICK=$(getconf CLK_TCK)
cpu_ticks() { # user+system ticks of the web server's process group, then of MariaDB
  local web=0 p
  for p in $(pgrep -g "$WEB_PGID"); do web=$((web + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$web $(awk '{print $14 + $15}' "/proc/$DB_PID/stat")"
}
rows() { db "SELECT COUNT(*) FROM $1"; }

run() { # name path table [header]
  local name=$1 path=$2 table=$3 header=${4:-}
  BENCH_PATH=$path BENCH_HEADER=$header wrk -t1 -c2 -d3s -s bench/wordpress-clicks.lua "$WP_URL" >/dev/null  # warm-up
  local r0 c0 c1 out total non2xx rps p50 p99 r1 web db
  r0=$(rows "$table"); read -r w0 d0 <<<"$(cpu_ticks)"
  out=$(BENCH_PATH=$path BENCH_HEADER=$header wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/wordpress-clicks.lua "$WP_URL")
  read -r w1 d1 <<<"$(cpu_ticks)"; r1=$(rows "$table")
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  web=$(awk -v t=$((w1 - w0)) -v n="$total" -v k="$TICK" 'BEGIN {printf "%.1f", t * 1000 / k / n}')
  db=$(awk -v t=$((d1 - d0)) -v n="$total" -v k="$TICK" 'BEGIN {printf "%.1f", t * 1000 / k / n}')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "$web" "$db" "$((total - non2xx))/$((r1 - r0))" "$non2xx"
}
echo "WordPress $(php -r "include '$WP_DOCROOT/wp-includes/version.php'; echo \$wp_version;"), PHP $(php -r 'echo PHP_VERSION;'), $(nproc) cores, php -S with $PHP_CLI_SERVER_WORKERS workers; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
echo
echo "| route | clicks/s | p50 | p99 | PHP CPU ms/req | MariaDB CPU ms/req | 2xx answers / rows written | non-2xx |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
run "plain REST route (validate + insert one row)" /wp-json/bench/v1/plain wp_bench_plain
run "plugin click route, usual REST dispatch" /wp-json/reftrail/v1/clicks wp_reftrail_clicks "X-Reftrail-Late: 1"
run "plugin click route (answered before init)" /wp-json/reftrail/v1/clicks wp_reftrail_clicks
