#!/usr/bin/env bash
# Every test of weft, on a fresh machine too: installs the tools the tests
# need (scripts/setup.sh), runs the whole workspace's tests, then the
# conformance suite again with eager translation and with the executor's
# `checked` mode.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo test --workspace
# The conformance suite again with every body translated up front (the
# runs above translate lazily, on first call: weft's default).
WEFT_COMPILATION_MODE=eager cargo test -p weft-wast --test spec
# The executor's own tests and the conformance suite again with every
# unchecked executor access checked (slots, and each instruction's guard).
cargo test -p weft --features checked --lib
cargo test -p weft-wast --features weft/checked --test spec
