#!/usr/bin/env bash
# Starts two MCUs on localhost, each with its own data folder under ./data, pairs them in
# Hot Backup (MCU-A Master, MCU-B Slave) with a little sample data, and stops both on
# Ctrl-C. Expects the release build (make demo does it first).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/server
[ -x "$BIN" ] || { echo "no $BIN: run 'make demo'" >&2; exit 1; }

export LEPTOS_SITE_ROOT=target/site
export LEPTOS_ENV=PROD
export MCU_ADMIN_USER=admin
export MCU_ADMIN_PASSWORD="${MCU_ADMIN_PASSWORD:-demo-admin-1}"
export RUST_LOG="${RUST_LOG:-info}"
A=127.0.0.1:3000
B=127.0.0.1:3001
mkdir -p data/MCU-A data/MCU-B
JAR=$(mktemp -d)

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping both MCUs..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait || true
  rm -rf "$JAR"
  echo "stopped."
  exit 0
}
trap stop INT TERM EXIT

"$BIN" --simulate --name MCU-A --model "CS 2000" --listen "$A" --data-dir data/MCU-A & pids+=($!)
"$BIN" --simulate --name MCU-B --model "CS 2000" --listen "$B" --data-dir data/MCU-B & pids+=($!)

for addr in "$A" "$B"; do
  for _ in $(seq 1 100); do
    curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

# Calls a server function as the demo Administrator; prints the answer.
api() { # addr function form-fields...
  local addr=$1 fn=$2; shift 2
  local jar="$JAR/${addr//[:.]/_}"
  if [ ! -s "$jar" ]; then
    curl -fsS -c "$jar" -H 'Accept: application/json' --data-urlencode username=admin \
      --data-urlencode "password=$MCU_ADMIN_PASSWORD" --data-urlencode next=/ "http://$addr/api/login" >/dev/null
  fi
  local args=()
  for f in "$@"; do args+=(--data-urlencode "$f"); done
  curl -sS -b "$jar" -H 'Accept: application/json' "${args[@]}" "http://$addr/api/$fn" || true
  echo
}
role() { curl -fsS "http://$1/healthz" | sed -n 's/.*"role":"\([a-z]*\)".*/\1/p'; }

if [ "$(role $A)" = standalone ] && [ "$(role $B)" = standalone ]; then
  echo "pairing MCU-A (Master) with MCU-B (Slave)..."
  common=(heartbeat_ms=100 detection_ms=1000 inactivity_s=30 "password=$MCU_ADMIN_PASSWORD")
  # G2: the same users and passwords on both, before pairing.
  api "$A" add_user name=operator1 password=operator-pass-1 role=operator >/dev/null
  api "$B" add_user name=operator1 password=operator-pass-1 role=operator >/dev/null
  api "$B" enable_hot_backup role=slave "peer_address=$A" "${common[@]}" >/dev/null
  api "$A" enable_hot_backup role=master "peer_address=$B" "${common[@]}"
  api "$A" add_conference "name=Weekly operations review" numeric_id=1001 >/dev/null
  api "$A" add_conference "name=Regional sales call" numeric_id=1002 >/dev/null
fi
for _ in $(seq 1 50); do
  curl -fsS "http://$A/healthz" | grep -q '"sync_status":"ok"' && break
  sleep 0.1
done

cat <<MSG

  MCU-A: http://$A   ($(role $A))
  MCU-B: http://$B   ($(role $B))
  Log in as: admin / $MCU_ADMIN_PASSWORD   (also operator1 / operator-pass-1, an Operator)
  Health:  http://$A/healthz   Metrics: http://$A/metrics
  Try: start a conference on the Master, watch it appear on the Slave; Setup → Hot Backup →
  Trigger Failover; or stop the Master's process and watch the Slave take over.
  Ctrl-C stops both.

MSG
wait
