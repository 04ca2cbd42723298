#!/usr/bin/env bash
# Installs every Debian 12 package libchat needs to build, test, fuzz and package itself.
# Idempotent: packages already present are skipped, and apt is not touched when nothing is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libspdlog-dev libfmt-dev libcli11-dev libreadline-dev catch2 prometheus-cpp-dev libhiredis-dev
  # the Redis the tests of the Redis backend start for themselves
  redis-server
  # tests: the workshop-compatibility client, TLS certificates, chat-cli on a terminal
  python3 python3-grpcio python3-protobuf python3-h2 openssl procps tmux
  # sanitizers and fuzzing
  clang-14 libclang-rt-14-dev
  # packaging
  dpkg-dev file
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  sudo=(sudo)
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
