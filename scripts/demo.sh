#!/usr/bin/env bash
# Starts two MCUs side by side on localhost, each with its own data folder under ./data,
# and stops both on Ctrl-C. Expects the release build (make demo does it first).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/server
[ -x "$BIN" ] || { echo "no $BIN: run 'make demo'" >&2; exit 1; }

export LEPTOS_SITE_ROOT=target/site
export MCU_ADMIN_USER=admin
export MCU_ADMIN_PASSWORD="${MCU_ADMIN_PASSWORD:-demo-admin-1}"
export RUST_LOG="${RUST_LOG:-info}"
mkdir -p data/MCU-A data/MCU-B

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping both MCUs..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait || true
  echo "stopped."
  exit 0
}
trap stop INT TERM EXIT

"$BIN" --name MCU-A --model "CS 2000" --listen 127.0.0.1:3000 --data-dir data/MCU-A & pids+=($!)
"$BIN" --name MCU-B --model "CS 2000" --listen 127.0.0.1:3001 --data-dir data/MCU-B & pids+=($!)

for port in 3000 3001; do
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done
cat <<MSG

  MCU-A: http://127.0.0.1:3000
  MCU-B: http://127.0.0.1:3001
  Log in as: admin / $MCU_ADMIN_PASSWORD   (the password of a new database; later runs keep the users)
  (Pairing them into Hot Backup comes with the Hot Backup feature; for now they run side by side.)
  Ctrl-C stops both.

MSG
wait
