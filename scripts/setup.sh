#!/usr/bin/env bash
# Installs what the tests need beyond Rust, on a fresh Debian/Ubuntu machine
# (as root, or with sudo): the C compiler, linker and WASI libc that build
# the WASI test programs. Does nothing when everything is there already.
set -euo pipefail

packages=(clang lld wasi-libc libclang-rt-dev-wasm32)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${packages[@]}"
fi
