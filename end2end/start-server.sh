#!/usr/bin/env bash
# Starts one MCU for the browser tests, on a fresh temporary data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-3100}"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mcu-e2e-XXXXXX")
export LEPTOS_SITE_ROOT=target/site
exec "${E2E_SERVER_BIN:-target/debug/server}" --name "MCU-E2E" --model "CS 4000" \
  --listen "127.0.0.1:$PORT" --data-dir "$DIR" --admin-password "e2e-admin-pass"
