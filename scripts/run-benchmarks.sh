#!/usr/bin/env bash
# Builds chat-server and chat-bench and runs the measurements of docs/benchmarks.md (about ten
# minutes; --quick for a shorter pass). Run it on a quiet machine: chat-bench and chat-server
# share it, and anything else running shows in the figures.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -G Ninja
cmake --build build --target chat-server chat-bench
exec /usr/bin/python3 scripts/benchmarks.py build "$@"
