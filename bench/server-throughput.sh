#!/usr/bin/env bash
# Measures reftrail-server on loopback (results and their reading: bench/server-throughput.md):
#   1. POST /v1/clicks with wrk (bench/server-clicks.lua): clicks per second, p50/p99, on SQLite
#      and on PostgreSQL, server, database and load tool sharing the machine's cores;
#   2. POST /v1/sales with wrk (bench/server-sales.lua): verified sales credited by coupon, each
#      a referral with its ledger rows and its recruiter's share; on SQLite and on PostgreSQL;
#   3. GET /go/{code} with wrk: short links opened (a lookup, a redirect, the count of opens),
#      on SQLite and on PostgreSQL;
#   3b. POST /v1/affiliates.csv: a 10,000-row file checked (dry run) and imported, timed by curl,
#      then searched (GET /v1/affiliates?q=), on SQLite and on PostgreSQL;
#   3c. GET /v1/deliveries among 900,000 outbox rows on SQLite (PART=deliveries alone);
#   4. GET /v1/reports/summary (and the other reports, the campaigns and creatives reports too) over ~1 M clicks
#      and ~100 k sales made by `seed-demo --scale 37 --sales-per-mille 100`, on SQLite.
# Installs wrk (Debian) if missing; starts everything on free loopback ports in a temporary
# directory and stops it by PID. Not a test: it prints figures.
#
# Usage: bench/server-throughput.sh [DURATION_SECONDS=10] [CONNECTIONS=32] [PART=all|clicks|links|import|deliveries]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
duration="${1:-10}"
conns="${2:-32}"
part="${3:-all}"
work="$(mktemp -d /tmp/reftrail-bench.XXXXXX)"
chmod 755 "$work"
pids=()
pg_data=""
pg_bin=""
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

command -v wrk >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq wrk >/dev/null

# The workspace's release profile is tuned for the wasm bundle (opt-level "z"); the server is
# measured at opt-level 3 in a target directory of its own.
cargo build -q --release -p reftrail-server --bin reftrail-server \
  --config 'profile.release.opt-level=3' --config 'profile.release.lto="thin"' \
  --config 'profile.release.codegen-units=16' --config 'profile.release.panic="unwind"' \
  --target-dir target/server-release
bin="$here/target/server-release/release/reftrail-server"
export REFTRAIL_SECRET_KEY="sk_bench_0123456789abcdef0123"
export REFTRAIL_LOG=warn

serve() { # serve DATABASE_URL [SERVE_ARGS...] -> sets base
  local port db="$1"
  shift
  port="$(free_port)"
  "$bin" --database "$db" serve --listen "127.0.0.1:$port" "$@" >>"$work/server.log" 2>&1 &
  pids+=($!)
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

clicks() { # clicks NAME
  curl -fsS -XPOST "$base/v1/affiliates" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" \
    -H 'content-type: application/json' -d '{"id":"alice","name":"Alice"}' >/dev/null
  wrk -t1 -c"$conns" -d3s -s bench/server-clicks.lua "$base" >/dev/null 2>&1
  echo "== POST /v1/clicks on $1: wrk -t1 -c$conns -d${duration}s"
  wrk -t1 -c"$conns" -d"${duration}s" --latency -s bench/server-clicks.lua "$base" |
    grep -E 'Latency|50%|90%|99%|requests in|Requests/sec|Non-2xx|Socket errors'
}

sales() { # sales NAME
  # bella was recruited by rita and the program pays recruiters 10 %: every sale also makes
  # rita's share, the heaviest path a sale takes.
  curl -fsS -XPOST "$base/v1/affiliates" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" \
    -H 'content-type: application/json' -d '{"id":"rita","name":"Rita"}' >/dev/null
  curl -fsS -XPOST "$base/v1/affiliates" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" \
    -H 'content-type: application/json' -d '{"id":"bella","name":"Bella","email":"bella@aff.test","coupons":["BELLA"],"recruiter":"rita"}' >/dev/null
  curl -fsS "$base/v1/program" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" |
    python3 -c 'import json,sys; p=json.load(sys.stdin); p.pop("webhook_secret"); p["recruiter_rate_bps"]=1000; print(json.dumps(p))' |
    curl -fsS -XPUT "$base/v1/program" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" \
      -H 'content-type: application/json' --data-binary @- >/dev/null
  wrk -t1 -c"$conns" -d3s -s bench/server-sales.lua "$base" >/dev/null 2>&1
  echo "== POST /v1/sales on $1: wrk -t1 -c$conns -d${duration}s"
  wrk -t1 -c"$conns" -d"${duration}s" --latency -s bench/server-sales.lua "$base" |
    grep -E 'Latency|50%|90%|99%|requests in|Requests/sec|Non-2xx|Socket errors'
}

links() { # links NAME
  # A short link of an approved affiliate's, opened from a browser (bots are not counted).
  curl -fsS "$base/v1/program" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" |
    python3 -c 'import json,sys; p=json.load(sys.stdin); p.pop("webhook_secret"); p["allowed_origins"]=["https://www.shop.test"]; print(json.dumps(p))' |
    curl -fsS -XPUT "$base/v1/program" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" \
      -H 'content-type: application/json' --data-binary @- >/dev/null
  local token
  token="$(curl -fsS -XPOST "$base/v1/affiliates" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" \
    -H 'content-type: application/json' -d '{"id":"lina","name":"Lina"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
  curl -fsS -XPOST "$base/v1/me/links" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"landing_url":"https://www.shop.test/shoes","campaign":"tiktok-bio","code":"lina-bio"}' >/dev/null
  local ua='User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'
  wrk -t1 -c"$conns" -d3s -H "$ua" "$base/go/lina-bio" >/dev/null 2>&1
  echo "== GET /go/{code} on $1: wrk -t1 -c$conns -d${duration}s"
  wrk -t1 -c"$conns" -d"${duration}s" --latency -H "$ua" "$base/go/lina-bio" |
    grep -E 'Latency|50%|90%|99%|requests in|Requests/sec|Non-2xx|Socket errors'
  curl -fsS "$base/v1/links?affiliate=lina" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" |
    python3 -c 'import json,sys; print("opens counted:", json.load(sys.stdin)["links"][0]["opens"])'
}

import_file() { # a file of 10,000 affiliates, each with a coupon, a rate and an address
  python3 - "$work/affiliates.csv" <<'PY'
import csv, sys
with open(sys.argv[1], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["id", "name", "email", "coupons", "sale_rate", "category", "address"])
    for i in range(10_000):
        w.writerow([f"imp{i:05d}", f"Nguyễn Văn {i}", f"imp{i}@example.com", f"IMP{i:05d}",
                    "12,5", "content", f"{i} Lê Lợi, Quận 1, TP. Hồ Chí Minh"])
PY
}

affiliates_import() { # affiliates_import NAME
  [ -f "$work/affiliates.csv" ] || import_file
  echo "== POST /v1/affiliates.csv on $1: $(wc -c <"$work/affiliates.csv") bytes, 10,000 rows"
  for q in '?dry_run=true' ''; do
    curl -sS -o "$work/import.json" -w "${q:-import}: %{http_code} in %{time_total} s\n" -XPOST \
      "$base/v1/affiliates.csv$q" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" \
      -H 'content-type: text/csv' --data-binary @"$work/affiliates.csv"
    python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print("  created", a["created"], "existing", a["existing"], "invalid", a["invalid"])' "$work/import.json"
  done
  curl -sS -o /dev/null -w "export of the 10,000: %{http_code} in %{time_total} s\n" \
    "$base/v1/affiliates.csv" -H "authorization: Bearer $REFTRAIL_SECRET_KEY"
  # A search reads and folds every name, email and code: one that finds one affiliate, one that
  # finds them all (first page).
  for q in 'van%209999' 'nguyen'; do
    curl -sS -o /dev/null -w "search q=$q among the 10,000: %{http_code} in %{time_total} s\n" \
      "$base/v1/affiliates?q=$q&limit=100" -H "authorization: Bearer $REFTRAIL_SECRET_KEY"
  done
}

deliveries() { # 600,000 webhook events and 300,000 postbacks on SQLite, then the merchant's list
  local db="$work/deliveries/reftrail.db"
  mkdir -p "$work/deliveries"
  "$bin" --database "sqlite://$db" migrate >/dev/null
  # One event in a hundred still owed (after a failed attempt), one in a thousand given up.
  sqlite3 "$db" "
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000)
    INSERT INTO outbox (id, event, url, payload, at, attempts, next_at, delivered_at, failed_at)
      SELECT printf('evt_%08d', i), 'referral.created', 'https://hooks.shop.example/in', '{}',
        1764000000 + i * 4, 1, 1764000000 + i * 4,
        CASE WHEN i % 100 = 0 THEN NULL ELSE 1764000000 + i * 4 END,
        CASE WHEN i % 1000 = 0 THEN 1764000000 + i * 4 END FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
    INSERT INTO postbacks (id, affiliate_id, referral_id, event, url, at, attempts, next_at, delivered_at)
      SELECT printf('pb_%08d', i), 'alice', printf('ref_%08d', i), 'created', 'https://t.example/pb',
        1764000000 + i * 8, 1, 1764000000 + i * 8, 1764000000 + i * 8 FROM n;"
  # No worker: the endpoints are not there, and nothing leaves the machine.
  serve "sqlite://$db" --no-worker
  echo "== GET /v1/deliveries among 600,000 webhook events and 300,000 postbacks on SQLite (best of 5)"
  local q best t
  for q in 'limit=1' 'limit=100' 'limit=100&offset=5000' 'kind=postback&limit=100' 'status=failed&limit=100' 'status=retrying&limit=100'; do
    best=""
    for _ in 1 2 3 4 5; do
      t="$(curl -fsS -o /dev/null -w '%{time_total}' "$base/v1/deliveries?$q" -H "authorization: Bearer $REFTRAIL_SECRET_KEY")"
      best="$(python3 -c "print(min(float('$t'), float('${best:-1e9}')))")"
    done
    echo "?$q: ${best} s"
  done
  kill "${pids[-1]}"
}

# part_on NAME: what PART asks of one database.
part_on() {
  case "$part" in
    all) clicks "$1"; sales "$1"; links "$1"; affiliates_import "$1" ;;
    clicks) clicks "$1"; sales "$1" ;;
    links) links "$1" ;;
    import) affiliates_import "$1" ;;
  esac
}

if [ "$part" = deliveries ]; then
  deliveries
  exit 0
fi

serve "sqlite://$work/sqlite/reftrail.db"
part_on sqlite
kill "${pids[-1]}"

pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -n "$pg_bin" ]; then
  pg_port="$(free_port)"
  mkdir -p "$work/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
  pg_data="$work/pg/data"
  as_pg "$pg_bin/initdb" -D "$pg_data" -A trust -U reftrail -E UTF8 >/dev/null
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg/log" -w -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
  as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U reftrail reftrail
  serve "postgres://reftrail@127.0.0.1:$pg_port/reftrail"
  part_on postgres
  kill "${pids[-1]}"
fi
[ "$part" = all ] || exit 0

echo "== reports over seed-demo --scale 37 --sales-per-mille 100 on SQLite"
db="sqlite://$work/reports/reftrail.db"
/usr/bin/time -f "seed: %e s, %M KB" "$bin" --database "$db" seed-demo --scale 37 --sales-per-mille 100
serve "$db"
from="$(date -u -d '-91 days' +%Y-%m-%d)"
# best_of REPORT FROM LABEL: a warm-up, then the best of 5 runs.
best_of() {
  curl -fsS -o /dev/null "$base/v1/reports/$1?from=$2" -H "authorization: Bearer $REFTRAIL_SECRET_KEY"
  local best="" t
  for _ in 1 2 3 4 5; do
    t="$(curl -fsS -o /dev/null -w '%{time_total}' "$base/v1/reports/$1?from=$2" -H "authorization: Bearer $REFTRAIL_SECRET_KEY")"
    best="$(python3 -c "print(min(float('$t'), float('${best:-1e9}')))")"
  done
  echo "GET /v1/reports/$1 ($3): best of 5 = ${best} s"
}
for report in summary timeseries affiliates categories campaigns; do
  best_of "$report" "$from" "90 days"
done
best_of campaigns "$(date -u -d '-30 days' +%Y-%m-%d)" "30 days"
# The creatives report reads the clicks' stored campaigns: four creatives, and a quarter of the
# seeded clicks (with the sales they credit) carrying one of them in utm_content, as the
# portal's creative links do.
sqlite3 "$work/reports/reftrail.db" "
  INSERT INTO creatives (id, name, kind, text, image_url, landing_url, status, created_at, updated_at)
    VALUES ('cr_bench0', 'Bench 0', 'link', 'x', NULL, NULL, 'active', 0, 0),
           ('cr_bench1', 'Bench 1', 'link', 'x', NULL, NULL, 'active', 0, 0),
           ('cr_bench2', 'Bench 2', 'link', 'x', NULL, NULL, 'active', 0, 0),
           ('cr_bench3', 'Bench 3', 'link', 'x', NULL, NULL, 'active', 0, 0);
  UPDATE clicks SET campaign = '{\"utm_content\":\"cr_bench' || (rowid % 4) || '\",\"utm_source\":\"blog\"}',
    content_name = 'cr_bench' || (rowid % 4) WHERE rowid % 16 < 4;
  DELETE FROM content_daily;
  INSERT INTO content_daily (day, affiliate_id, content, clicks)
    SELECT at / 86400, COALESCE(affiliate_id, ''), content_name, COUNT(*) FROM clicks
    WHERE content_name IS NOT NULL AND is_bot = 0 GROUP BY 1, 2, 3;"
best_of creatives "$from" "90 days"
best_of creatives "$(date -u -d '-30 days' +%Y-%m-%d)" "30 days"
curl -fsS "$base/v1/reports/summary?from=$from" -H "authorization: Bearer $REFTRAIL_SECRET_KEY" |
  python3 -c 'import json,sys; k=json.load(sys.stdin)["kpis"]; print("clicks", k["clicks"] + k["bot_clicks"], "sales", k["sales"]["gross"], "leads", k["leads"]["gross"])'
