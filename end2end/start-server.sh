#!/usr/bin/env bash
# Starts one MCU for the browser tests, on a fresh temporary data folder that is removed
# when the server stops.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-3100}"
NAME="${2:-MCU-E2E}"
# Anything after the port and the name is passed on to the server.
shift $(( $# < 2 ? $# : 2 ))
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mcu-e2e-XXXXXX")
export LEPTOS_SITE_ROOT=target/site
export RUST_LOG="${RUST_LOG:-warn}"
"${E2E_SERVER_BIN:-target/debug/server}" --simulate --name "$NAME" --model "CS 4000" \
  --listen "127.0.0.1:$PORT" --data-dir "$DIR" --admin-password "e2e-admin-pass" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$DIR"' EXIT INT TERM
wait "$pid"
