#!/usr/bin/env bash
# Every test of weft, on a fresh machine too: installs the tools the tests
# need (scripts/setup.sh), runs the whole workspace's tests, then the
# conformance suite again with the executor's `checked` mode.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo test --workspace
# The executor's own tests and the conformance suite again with every
# unchecked executor access checked (slots, and each instruction's guard).
cargo test -p weft --features checked --lib
cargo test -p weft-wast --features weft/checked --test spec
