#!/usr/bin/env bash
# wp-test-env-stop.sh - stop the web server and MariaDB started by wp-test-env.sh, by their recorded
# PIDs only. Each was started with setsid, so its PID is also its process-group id: the group is
# signalled (php -S workers / apache children go with their parent), never anything by name.
#   bash wp-test-env-stop.sh            # stop
#   bash wp-test-env-stop.sh --purge    # stop and delete $WP_ENV_DIR (DB + site) for a clean start
set -uo pipefail
WP_ENV_DIR=${WP_ENV_DIR:-${TMPDIR:-/tmp}/reftrail-wp}

stop_pidfile() { # <pidfile> <name>
  local f=$1 name=$2 pid target
  [ -s "$f" ] || { echo "$name: no pid file"; return 0; }
  pid=$(cat "$f")
  if ! kill -0 "$pid" 2>/dev/null; then echo "$name: pid $pid not running"; rm -f "$f"; return 0; fi
  # Guard against a recycled PID: ours always has $WP_ENV_DIR on its command line.
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$WP_ENV_DIR/"; then
    echo "$name: pid $pid is not ours (stale pid file), leaving it alone"; rm -f "$f"; return 0
  fi
  # Signal the process group only if this PID leads it (it does when wp-test-env.sh started it).
  if [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then target="-$pid"; else target="$pid"; fi
  running() { if [ "$target" = "-$pid" ]; then pgrep -g "$pid" >/dev/null; else kill -0 "$pid" 2>/dev/null; fi; }
  kill -TERM -- "$target" 2>/dev/null
  for _ in $(seq 1 150); do running || break; sleep 0.1; done
  if running; then echo "$name: pid $pid ignored SIGTERM for 15 s, sending SIGKILL"; kill -KILL -- "$target" 2>/dev/null; fi
  rm -f "$f"
  echo "$name: stopped (pid $pid)"
}

stop_pidfile "$WP_ENV_DIR/web.pid" "web server"
stop_pidfile "$WP_ENV_DIR/db/mariadbd.pid" "MariaDB"
if [ "${1:-}" = --purge ]; then
  rm -rf "$WP_ENV_DIR"
  echo "removed $WP_ENV_DIR"
fi
