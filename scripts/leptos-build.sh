#!/usr/bin/env bash
# `cargo leptos build` with its output kept in target/leptos-build.log. When it fails, the
# error lines, free disk and memory are printed last (CI shows the end of the output), and
# the build is tried once more: a second failure is a real one.
set -uo pipefail
mkdir -p target
log=target/leptos-build.log
for attempt in 1 2; do
    cargo leptos build "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then
        exit 0
    fi
    echo
    echo "== cargo leptos build $* failed (exit $rc, attempt $attempt); what it said: =="
    grep -n -i -E 'error|failed|panicked|no space|killed' "$log" | grep -v -E '::h[0-9a-f]{16}|unknown source|frames hidden' | head -n 40
    echo "== disk and memory =="
    df -h target 2>/dev/null | tail -n 1
    du -sh target/* 2>/dev/null | sort -h | tail -n 5
    free -m 2>/dev/null | head -n 2
done
exit "$rc"
