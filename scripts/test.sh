#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds libchat with warnings as errors, and runs every test: the
# Catch2 suite (one CTest test per case) and the end-to-end tests against real processes.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -G Ninja -DCHAT_WERROR=ON
cmake --build build
ctest --test-dir build --output-on-failure -j "$(nproc)"
