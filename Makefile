# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
ENV := source scripts/env.sh &&
# clippy and cargo test get their own target dir: cargo-leptos builds with other RUSTFLAGS.
CHECK_DIR := target/check

.PHONY: setup build release demo test clippy unit e2e clean

setup:
	@./scripts/setup.sh

build: setup
	$(ENV) cargo leptos build

# Also part of `make test`: the optimised build is the one `make demo` runs.
release: setup
	$(ENV) LEPTOS_ENV=PROD cargo leptos build --release

demo: release
	@./scripts/demo.sh

clippy: setup
	$(ENV) CARGO_TARGET_DIR=$(CHECK_DIR) cargo clippy -p domain -p hotbackup -p app -p server --features app/ssr --all-targets -- -D warnings
	$(ENV) CARGO_TARGET_DIR=$(CHECK_DIR) cargo clippy -p app --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

unit: setup
	@mkdir -p target
	$(ENV) CARGO_TARGET_DIR=$(CHECK_DIR) cargo test -p domain -p hotbackup -p server 2>&1 | tee target/unit.log

e2e: build
	$(ENV) cd end2end && CI=1 npx playwright test 2>&1 | tee ../target/e2e.log

test: clippy unit e2e release
	@echo; echo "== summary =="
	@grep -E '^test result:' target/unit.log
	@grep -E '^\s+[0-9]+ (passed|failed|flaky|skipped)' target/e2e.log

clean:
	rm -rf target end2end/test-results
