#!/usr/bin/env bash
# Cheap smoke run of every fuzz target, affordable in CI: builds the targets
# and runs each for a few seconds from an empty corpus. Exits non-zero if a
# build fails or any target finds a crash, panic or timeout (the failing
# input is kept in fuzz/artifacts/TARGET/).
#
#   bash fuzz/smoke.sh                 # 10 s per target
#   SMOKE_SECONDS=60 bash fuzz/smoke.sh
#   WEFT_FUZZ_TARGET_DIR=/tmp/t bash fuzz/smoke.sh   # another target dir
set -euo pipefail
cd "$(dirname "$0")"

seconds="${SMOKE_SECONDS:-10}"
targets=(validate_translate execute differential component)

# cargo-fuzz passes nightly-only flags to rustc (-Zsanitizer, ...);
# RUSTC_BOOTSTRAP lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

build_args=(--sanitizer none)
if [[ -n "${WEFT_FUZZ_TARGET_DIR:-}" ]]; then
    build_args+=(--target-dir "$WEFT_FUZZ_TARGET_DIR")
fi

start=$(date +%s)
cargo fuzz build "${build_args[@]}"
echo "smoke: build took $(( $(date +%s) - start )) s"

corpus_root="$(mktemp -d)"
trap 'rm -rf "$corpus_root"' EXIT

status=0
for t in "${targets[@]}"; do
    mkdir -p "$corpus_root/$t"
    echo "smoke: $t for ${seconds} s"
    log="$corpus_root/$t.log"
    if cargo fuzz run "${build_args[@]}" "$t" "$corpus_root/$t" -- \
        -max_total_time="$seconds" -timeout=20 -max_len=8192 -print_final_stats=1 \
        >"$log" 2>&1; then
        grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units)' "$log" || true
    else
        tail -n 80 "$log"
        echo "smoke: $t FAILED (the input is in fuzz/artifacts/$t/)"
        status=1
    fi
done
echo "smoke: total $(( $(date +%s) - start )) s"
exit "$status"
