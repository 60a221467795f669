#!/usr/bin/env bash
# Runs the HTTP contract suite (tests/contract/) against a real reftrail-server process, first on
# SQLite, then on a private PostgreSQL; then the durability check (SIGKILL during a load of
# sales, restart, every acknowledged sale in the ledger exactly once) and the two-processes
# check (two servers on one database behave as one) on both.
#
# Self-contained: builds the server, installs Debian's postgresql if it is missing, starts
# everything on loopback on free ports in a private temporary directory, and stops what it
# started by PID (and `pg_ctl stop`) on exit. Exits non-zero on any failure.
#
# Usage: scripts/test-server.sh            (REFTRAIL_SKIP_POSTGRES=1 to run SQLite only)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
# shellcheck source=scripts/env.sh
[ -f scripts/env.sh ] && . scripts/env.sh

work="$(mktemp -d /tmp/reftrail-test-server.XXXXXX)"
chmod 755 "$work"
server_pid=""
pg_data=""
pg_bin=""

cleanup() {
  local rc=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ "$rc" -ne 0 ]; then
    echo "test-server: FAILED (logs in $work)" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT INT TERM

# free_port: a free loopback port below the kernel's ephemeral range (32768 and up), where an
# outgoing connection could take the port between this probe and the server's bind.
free_port() {
  python3 -c '
import random, socket
for _ in range(200):
    port = random.randrange(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free loopback port in 20000-31999")
'
}

# PostgreSQL refuses to run as root: run its tools as the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

export REFTRAIL_SECRET_KEY="sk_test_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export REFTRAIL_PUBLISHABLE_KEY="pk_test_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export REFTRAIL_ADMIN_PASSWORD="admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export REFTRAIL_COOKIE_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

for tool in curl python3; do
  if ! command -v "$tool" >/dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$tool" >/dev/null
  fi
done

echo "test-server: building"
cargo build -q -p reftrail-server --bins --tests
bin="$here/target/debug/reftrail-server"

# start_server NAME DATABASE_URL: starts the server on a free port, sets server_pid and base.
start_server() {
  local name="$1" url="$2" port
  port="$(free_port)"
  REFTRAIL_LOG=warn REFTRAIL_POSTBACKS_TO_PRIVATE_NETWORKS=true "$bin" --database "$url" serve --listen "127.0.0.1:$port" >>"$work/$name.log" 2>&1 &
  server_pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if curl -fsS "$base/healthz" >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/$name.log" >&2; return 1; }
    sleep 0.1
  done
  echo "test-server: $name did not answer /healthz" >&2
  return 1
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

run_suite() {
  local name="$1"
  echo "test-server: contract suite on $name ($base)"
  REFTRAIL_BASE_URL="$base" cargo test -q -p reftrail-server --test contract -- --test-threads 8
}

# durability NAME DATABASE_URL: posts sales while the server is killed with SIGKILL, restarts
# it, and checks that every sale that got a 2xx is stored exactly once.
durability() {
  local name="$1" url="$2"
  echo "test-server: durability on $name"
  start_server "$name-durability" "$url"
  REFTRAIL_BASE_URL="$base" cargo test -q -p reftrail-server --test durability -- --ignored load_until_killed --nocapture \
    >"$work/$name-load.log" 2>&1 &
  local load_pid=$!
  sleep 3
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  wait "$load_pid" || { cat "$work/$name-load.log" >&2; return 1; }
  start_server "$name-durability" "$url"
  REFTRAIL_BASE_URL="$base" REFTRAIL_DURABILITY_LOG="$work/acked.txt" \
    cargo test -q -p reftrail-server --test durability -- --ignored verify_after_restart --nocapture
  stop_server
}

# twins NAME DATABASE_URL: two server processes on one database behave as one.
twins() {
  local name="$1" url="$2" first_pid first_base
  echo "test-server: two processes on one $name database"
  start_server "$name-twin1" "$url"
  first_pid="$server_pid"
  first_base="$base"
  start_server "$name-twin2" "$url"
  REFTRAIL_BASE_URL="$first_base" REFTRAIL_BASE_URL_2="$base" \
    cargo test -q -p reftrail-server --test durability -- --ignored two_processes_behave_as_one
  stop_server
  server_pid="$first_pid"
  stop_server
}

# cli: the command line on a fresh SQLite file: migrate, keys, seed-demo, export-payout.
cli() {
  echo "test-server: command line"
  local db="sqlite://$work/cli/reftrail.db" out
  env -u REFTRAIL_SECRET_KEY -u REFTRAIL_PUBLISHABLE_KEY -u REFTRAIL_ADMIN_PASSWORD -u REFTRAIL_COOKIE_SECRET \
    "$bin" --database "$db" migrate >"$work/cli/migrate.out"
  grep -q "secret key (shown once): sk_" "$work/cli/migrate.out"
  grep -q "admin password (shown once): " "$work/cli/migrate.out"
  out="$("$bin" --database "$db" migrate)"
  [[ "$out" =~ ^schema\ version\ [0-9]+$ ]] || { echo "second migrate printed more than the version: $out" >&2; return 1; }
  "$bin" --database "$db" keys create --kind publishable | grep -q $'\tpk_'
  "$bin" --database "$db" keys rotate-cookie-key | grep -q "now signs"
  [ "$("$bin" --database "$db" keys list | wc -l)" -ge 3 ]
  "$bin" --database "$db" seed-demo --scale 1 | grep -q "affiliates: 20"
  "$bin" --database "$db" export-payout --create --out "$work/cli/payout.csv" 2>"$work/cli/payout.err"
  [ "$(wc -l <"$work/cli/payout.csv")" -ge 5 ]
  # bob is paid by PayPal; alice by VietQR bank transfer, which the PayPal file leaves out.
  grep -q ",VND,bob," "$work/cli/payout.csv"
  if grep -q ",alice," "$work/cli/payout.csv"; then echo "a bank transfer line in the PayPal file" >&2; return 1; fi
  grep -q "paid by bank transfer are not in the PayPal file" "$work/cli/payout.err"
}
mkdir -p "$work/cli"
cli

# --- SQLite ------------------------------------------------------------------------------------
start_server sqlite "sqlite://$work/sqlite/reftrail.db"
run_suite sqlite
stop_server
export REFTRAIL_DURABILITY_LOG="$work/acked.txt"
durability sqlite "sqlite://$work/sqlite-durability/reftrail.db"
twins sqlite "sqlite://$work/sqlite/reftrail.db"

# --- PostgreSQL --------------------------------------------------------------------------------
if [ "${REFTRAIL_SKIP_POSTGRES:-0}" = "1" ]; then
  echo "test-server: PostgreSQL skipped (REFTRAIL_SKIP_POSTGRES=1)"
  exit 0
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "test-server: installing postgresql"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql >/dev/null
fi
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
pg_port="$(free_port)"
mkdir -p "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
pg_data="$work/pg/data"
as_pg "$pg_bin/initdb" -D "$pg_data" -A trust -U reftrail -E UTF8 >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg/server.log" -w \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U reftrail reftrail
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U reftrail durability
start_server postgres "postgres://reftrail@127.0.0.1:$pg_port/reftrail"
run_suite postgres
stop_server
rm -f "$work/acked.txt"
durability postgres "postgres://reftrail@127.0.0.1:$pg_port/durability"
twins postgres "postgres://reftrail@127.0.0.1:$pg_port/reftrail"
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U reftrail migration
echo "test-server: migrations on rows written before them (postgres)"
REFTRAIL_MIGRATION_URL="postgres://reftrail@127.0.0.1:$pg_port/migration" \
  cargo test -q -p reftrail-server --test stored_click_migrations -- --ignored
echo "test-server: all passed"
