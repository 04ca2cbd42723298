#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds chat-server and runs it in the foreground (Ctrl-C stops it).
# Arguments go to chat-server; without any it listens on 0.0.0.0:50051.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -G Ninja
cmake --build build --target chat-server
exec build/apps/chat-server/chat-server "$@"
