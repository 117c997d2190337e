# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
ENV := source scripts/env.sh &&
# clippy and cargo test get their own target dir: cargo-leptos builds with other RUSTFLAGS.
CHECK_DIR := target/check

.PHONY: setup build release demo test clippy unit e2e faults faults-build faults-quick fuzz bench attack clean

# `make faults` runs COUNT seeded fault schedules (SEED=n replays one); `make fuzz` runs
# CASES generated inputs per parser property; `make bench` measures the release build.
COUNT ?= 200
CASES ?= 100000
FAULT_ARGS = $(if $(SEED),--seed $(SEED),--count $(COUNT))

setup:
	@./scripts/setup.sh

build: setup
	rm -rf target/site/pkg # hashed names: one build's files only
	$(ENV) scripts/leptos-build.sh --split
	target/debug/server precompress --quick --dir target/site/pkg

# Also part of `make test`: the optimised build is the one `make demo` runs.
release: setup
	rm -rf target/site/pkg
	$(ENV) LEPTOS_ENV=PROD RUSTFLAGS="--cfg erase_components" scripts/leptos-build.sh --release --split
	target/release/server precompress --dir target/site/pkg

demo: release
	@./scripts/demo.sh

clippy: setup
	$(ENV) CARGO_TARGET_DIR=$(CHECK_DIR) cargo clippy -p domain -p hotbackup -p app -p server -p faults --features app/ssr --all-targets -- -D warnings
	$(ENV) CARGO_TARGET_DIR=$(CHECK_DIR) cargo clippy -p app --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

unit: setup
	@mkdir -p target
	$(ENV) CARGO_TARGET_DIR=$(CHECK_DIR) cargo test -p domain -p hotbackup -p app -p server -p faults 2>&1 | tee target/unit.log

# Real MCU processes on loopback (the debug server, short timings).
faults-build: setup
	$(ENV) CARGO_TARGET_DIR=$(CHECK_DIR) cargo build -p server -p faults

faults: faults-build
	@mkdir -p target
	$(ENV) $(CHECK_DIR)/debug/faults $(FAULT_ARGS) 2>&1 | tee target/faults.log

# Fixed seeds in `make test` (the same 20 schedules each time); `make faults` draws new ones.
faults-quick: faults-build
	@mkdir -p target
	$(ENV) $(CHECK_DIR)/debug/faults --count 20 --base 1 2>&1 | tee target/faults.log

# Attack probes against real server processes (loopback): one line each, then a total.
attack: faults-build
	@mkdir -p target
	$(ENV) $(CHECK_DIR)/debug/attack 2>&1 | tee target/attack.log

fuzz: setup
	$(ENV) PROPTEST_CASES=$(CASES) CARGO_TARGET_DIR=$(CHECK_DIR) cargo test --release -p domain --test properties

bench: release
	$(ENV) CARGO_TARGET_DIR=$(CHECK_DIR) cargo build --release -p faults --bin bench
	$(ENV) $(CHECK_DIR)/release/bench --server target/release/server --wasm target/site/pkg --out target/bench/results.json

e2e: build
	$(ENV) cd end2end && CI=1 npx playwright test 2>&1 | tee ../target/e2e.log

test: clippy unit faults-quick attack e2e release
	@echo; echo "== summary =="
	@grep -E '^test result:' target/unit.log | awk '{p += $$4; f += $$6} END {print "Rust tests: " p " passed, " f " failed"}'
	@tail -n 1 target/faults.log
	@tail -n 1 target/attack.log
	@grep -E '^\s+[0-9]+ (passed|failed|flaky|skipped)' target/e2e.log

clean:
	rm -rf target end2end/test-results
