#!/usr/bin/env bash
# Instructions executed by `weft run` on each non-SIMD sightglass program
# that completes in a few seconds (all but gcc-loops, seqhash, ed25519),
# counted by cachegrind: steady figures on a noisy machine, for comparing
# two builds of weft (wall time and page faults are not in them: check
# those with the sightglass bench). Callgrind runs out of memory on long
# runs of the dispatch chain; cachegrind without cache simulation does not.
#
#   bash crates/weft-bench/scripts/sightglass_icount.sh target/release/weft > counts.txt
set -euo pipefail
weft=$(realpath "${1:?usage: sightglass_icount.sh WEFT_BINARY}")
root="$(dirname "$0")/../../../../shared/bench/sightglass"
for f in blake3-scalar/benchmark.wasm blind-sig/benchmark.wasm bz2/benchmark.wasm \
    hashset/benchmark.wasm pulldown-cmark/benchmark.wasm quicksort/benchmark.wasm \
    regex/benchmark.wasm richards/benchmark.wasm rust-compression/benchmark.wasm \
    rust-html-rewriter/benchmark.wasm rust-json/benchmark.wasm \
    shootout/shootout-{ackermann,base64,ctype,fib2,gimli,heapsort,keccak,matrix,memmove,minicsv,random,ratelimit,sieve,switch,xblabla20,xchacha20}.wasm \
    sqlite3/sqlite3.wasm tinygo/tinygo-json.wasm tinygo/tinygo-regex.wasm; do
    dir="$root/$(dirname "$f")"
    n=$(cd "$dir" && valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$weft" run -W unknown-imports-default=y --dir .::. "$(basename "$f")" 2>&1 </dev/null \
        | awk '/I *refs/ {gsub(",", "", $4); print $4}')
    echo "$f $n"
done
