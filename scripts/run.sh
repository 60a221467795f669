#!/usr/bin/env bash
# The main job: installs what is needed (idempotent), builds the browser bundle, the pages'
# libraries, the tracking server and the demo shop, starts the server on its embedded SQLite
# under ./data (seeding the demo program when the database is new), starts the demo shop, and
# prints the addresses of the store, the merchant dashboard and the affiliate portal with the
# demo sign-in. Ctrl-C stops what it started.
#
# Environment (all optional): REFTRAIL_PORT (8080), DEMO_SHOP_PORT (8000), REFTRAIL_DATA (./data),
# and the pinned demo credentials REFTRAIL_ADMIN_PASSWORD, REFTRAIL_SECRET_KEY,
# REFTRAIL_PUBLISHABLE_KEY, REFTRAIL_COOKIE_SECRET (used when the database is created).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
scripts/setup.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh

port="${REFTRAIL_PORT:-8080}"
shop_port="${DEMO_SHOP_PORT:-8000}"
data="${REFTRAIL_DATA:-./data}"
# The demo's credentials. The store's script tag carries this publishable key.
export REFTRAIL_ADMIN_PASSWORD="${REFTRAIL_ADMIN_PASSWORD:-reftrail-demo}"
export REFTRAIL_SECRET_KEY="${REFTRAIL_SECRET_KEY:-sk_demo_secret_key_for_local_use_only}"
export REFTRAIL_PUBLISHABLE_KEY="${REFTRAIL_PUBLISHABLE_KEY:-pk_demo_publishable_key_0001}"
export REFTRAIL_COOKIE_SECRET="${REFTRAIL_COOKIE_SECRET:-demo-cookie-secret-change-me-0123456789}"
unset DATABASE_URL

echo "run: building the browser bundle, the pages' libraries, the server and the demo shop"
scripts/build-wasm.sh >/dev/null
scripts/build-www.sh
cargo build -q -p reftrail-server -p demo-shop
server_bin="$here/target/debug/reftrail-server"
shop_bin="$here/target/debug/demo-shop"

mkdir -p "$data"
db="sqlite://$data/reftrail.db"
server_pid=""
shop_pid=""
stop() {
  trap - EXIT INT TERM
  for pid in $shop_pid $server_pid; do
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  done
  for pid in $shop_pid $server_pid; do wait "$pid" 2>/dev/null || true; done
  echo
  echo "run: stopped"
}
trap stop EXIT INT TERM

if [ ! -f "$data/reftrail.db" ]; then
  echo "run: new database $data/reftrail.db: seeding the demo program (90 days, 20 affiliates)"
  "$server_bin" --database "$db" --log warn seed-demo >/dev/null
fi

# The demo runs on loopback: a tracker tried with postbacks may be on this machine too.
REFTRAIL_POSTBACKS_TO_PRIVATE_NETWORKS=true \
"$server_bin" --database "$db" --log warn serve --listen "127.0.0.1:$port" \
  --www-dir "$here/www" --js-dir "$here/js/dist" >"$data/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$data/server.log" >&2; exit 1; }
  sleep 0.1
done

auth="Authorization: Bearer $REFTRAIL_SECRET_KEY"
# The shop's origins must be allowed to report (idempotent: adds only the missing ones).
origins="http://www.shop.test:$shop_port http://checkout.shop.test:$shop_port http://127.0.0.1:$shop_port http://localhost:$shop_port"
program="$(curl -fsS -H "$auth" "$base/v1/program")"
updated="$(ORIGINS="$origins" node -e '
  const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const add = process.env.ORIGINS.split(" ").filter((o) => !p.allowed_origins.includes(o));
  if (!add.length) process.exit(0);
  p.allowed_origins.push(...add);
  delete p.webhook_secret;
  process.stdout.write(JSON.stringify(p));
' <<<"$program")"
if [ -n "$updated" ]; then
  curl -fsS -X PUT -H "$auth" -H 'Content-Type: application/json' --data "$updated" "$base/v1/program" >/dev/null
fi
# Demo creatives for the affiliates' portal, when the program has none yet.
if [ "$(curl -fsS -H "$auth" "$base/v1/creatives?limit=1")" = '{"creatives":[]}' ]; then
  shop="http://www.shop.test:$shop_port"
  for body in \
    "{\"name\":\"Trail shoe text link\",\"kind\":\"link\",\"text\":\"Giày chạy địa hình: giảm 20 % tuần này\",\"landing_url\":\"$shop/store/products/SHOE-RUN-1/\"}" \
    "{\"name\":\"Trail shoe banner 728×90\",\"kind\":\"image\",\"text\":\"Giày chạy địa hình giảm 20 %\",\"image_url\":\"$shop/store/banners/trail-728x90.svg\",\"landing_url\":\"$shop/store/products/SHOE-RUN-1/\"}"; do
    curl -fsS -X POST -H "$auth" -H 'Content-Type: application/json' --data "$body" "$base/v1/creatives" >/dev/null
  done
fi
# A fresh portal token for alice (the previous one stops working), for the magic link below.
token="$(curl -fsS -X POST -H "$auth" "$base/v1/affiliates/alice/token" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).token)')"
# A short link of alice's for her TikTok bio, when she has none yet.
if [ "$(curl -fsS -H "Authorization: Bearer $token" "$base/v1/me/links")" = '{"links":[]}' ]; then
  curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data "{\"landing_url\":\"http://www.shop.test:$shop_port/store/products/SHOE-RUN-1/\",\"campaign\":\"tiktok-bio\",\"code\":\"alice-tiktok\"}" \
    "$base/v1/me/links" >/dev/null
fi
# A manager in the merchant's team, signing in with her email and the dashboard's password,
# when the team is empty.
member="lan@shop.test"
if [ "${#REFTRAIL_ADMIN_PASSWORD}" -ge 10 ] && [ "$(curl -fsS -H "$auth" "$base/v1/team")" = '{"members":[]}' ]; then
  invite="$(curl -fsS -X POST -H "$auth" -H 'Content-Type: application/json' \
    --data "{\"email\":\"$member\",\"name\":\"Lan Nguyễn\",\"role\":\"manager\"}" "$base/v1/team" |
    node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).invite_path.split("#invite=")[1])')"
  INVITE="$invite" PASSWORD="$REFTRAIL_ADMIN_PASSWORD" node -e '
    process.stdout.write(JSON.stringify({ token: process.env.INVITE, password: process.env.PASSWORD }));
  ' | curl -fsS -X POST -H 'Content-Type: application/json' --data @- "$base/v1/team/accept" >/dev/null
fi

REFTRAIL_SECRET_KEY="$REFTRAIL_SECRET_KEY" "$shop_bin" --listen "127.0.0.1:$shop_port" --tracker "$base" \
  --www-dir "$here/www" --js-dir "$here/js/dist" >"$data/demo-shop.log" 2>&1 &
shop_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$shop_port/api/shop" >/dev/null 2>&1 && break
  kill -0 "$shop_pid" 2>/dev/null || { cat "$data/demo-shop.log" >&2; exit 1; }
  sleep 0.1
done

shop_url="http://www.shop.test:$shop_port/"
magic="$base/portal/#token=$token&shop=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$shop_url")"
cat <<EOF

Reftrail is running (server log: $data/server.log, shop log: $data/demo-shop.log).

  Demo store          http://www.shop.test:$shop_port/store/?ref=alice
                      checkout runs on http://checkout.shop.test:$shop_port/store/checkout/
                      without host mapping: http://127.0.0.1:$shop_port/store/?ref=alice
  Merchant dashboard  $base/dashboard/      password: $REFTRAIL_ADMIN_PASSWORD
                      or as the manager $member with the same password
  Affiliate portal    $base/portal/         alice's magic link:
                      $magic
  API                 $base/v1/openapi.json  secret key: $REFTRAIL_SECRET_KEY

Other link forms: ?via=alice, #ref=alice, /store/ref/alice/, alice's short link
$base/go/alice-tiktok, or the coupon BOB10 (bob) at checkout.
To open the *.shop.test addresses, map the names to this machine, either in /etc/hosts:
    127.0.0.1 www.shop.test checkout.shop.test
or for Chromium only: chromium --host-resolver-rules="MAP *.shop.test 127.0.0.1"

Ctrl-C stops the server and the shop.
EOF
wait "$server_pid" "$shop_pid"
