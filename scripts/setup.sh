#!/usr/bin/env bash
# Installs what building and testing need, only what is missing (safe to run again):
# the wasm32 target, cargo-leptos 0.3.10, wasm-bindgen-cli matching Cargo.lock, openssl,
# Debian's Chromium, and the npm packages of end2end/ (Playwright, and binaryen's wasm-opt).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 0.3.11 needs a newer rustc than this machine's; 0.3.10 installs (about 12 minutes, once).
if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "0.3.10" ]; then
  say "installing cargo-leptos 0.3.10 (takes about 12 minutes, once per machine)"
  cargo install --locked cargo-leptos@0.3.10
fi

# The CLI must match the wasm-bindgen crate in Cargo.lock. Not --locked: one of its
# locked dependencies is missing from the registry mirror here.
WB=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB" ]; then
  say "installing wasm-bindgen-cli $WB"
  cargo install wasm-bindgen-cli --version "=$WB"
fi

# The attack probes make a TLS certificate with the openssl command.
if ! command -v openssl >/dev/null 2>&1; then
  say "installing openssl"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y openssl
fi

if ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian's chromium"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

# Playwright and wasm-opt (npm binaryen; never Debian's binaryen, whose output does not hydrate).
if [ ! -x end2end/node_modules/.bin/playwright ] || [ ! -x end2end/node_modules/.bin/wasm-opt ] \
   || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing end2end npm packages"
  (cd end2end && npm ci --no-audit --no-fund)
fi
say "ready"
