#!/bin/sh
# Rebuilds the Kotlin/Wasm programs of this folder: ./build.sh [NAME...]
# (all of them by default). Needs the Kotlin compiler 2.4.20 (npm package
# `kotlin-compiler`) and Java 17; KOTLIN_HOME names the compiler's folder:
#   mkdir -p /tmp/kt && cd /tmp/kt && npm install kotlin-compiler@2.4.20
#   KOTLIN_HOME=/tmp/kt/node_modules/kotlin-compiler ./build.sh
set -eu
cd "$(dirname "$0")"
K=${KOTLIN_HOME:-/tmp/kt/node_modules/kotlin-compiler}
STD=$K/lib/kotlin-stdlib-wasm-wasi.klib
FLAGS="-Xwasm-target=wasm-wasi -Xwasm-use-new-exception-proposal -libraries $STD"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
[ $# -gt 0 ] || set -- trees shapes errors
for name in "$@"; do
    # Step 1: the source to a klib.
    "$K/bin/kotlinc-wasm" $FLAGS -ir-output-dir "$OUT" -ir-output-name "$name" "$name.kt"
    # Step 2: the klib to a WASI command, dead code eliminated.
    "$K/bin/kotlinc-wasm" $FLAGS -Xir-produce-js -Xir-dce -Xinclude="$OUT/$name.klib" \
        -ir-output-dir "$OUT" -ir-output-name "$name"
    cp "$OUT/$name.wasm" "$name.wasm"
done
