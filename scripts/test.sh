#!/usr/bin/env bash
# Every test of weft, on a fresh machine too: installs the tools the tests
# need (scripts/setup.sh), runs the whole workspace's tests, then the
# conformance suite again with the executor's `checked` mode.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo test --workspace
# The conformance suite again with every unchecked executor access checked.
cargo test -p weft-wast --features weft/checked --test spec
