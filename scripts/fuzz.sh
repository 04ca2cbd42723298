#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang 14, ASan and UBSan, and runs each one for
# SECONDS (default 30) from the seed corpus in tests/fuzz/corpus. Any broken promise or sanitizer
# report fails the run. For a long run: scripts/fuzz.sh 3600.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}

scripts/setup.sh
CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCHAT_BUILD_FUZZERS=ON -DCHAT_BUILD_APPS=OFF -DCHAT_BUILD_TESTS=OFF -DCHAT_SANITIZE=address,undefined -DCHAT_WERROR=ON
cmake --build build-fuzz --target rules_fuzzer request_fuzzer

for name in rules request; do
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/$name/* "$corpus/"
  log=build-fuzz/${name}_fuzzer.log
  echo "fuzz: ${name}_fuzzer for ${seconds} s"
  if ! build-fuzz/tests/fuzz/${name}_fuzzer -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix=build-fuzz/ "$corpus" > "$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: ${name}_fuzzer failed; the input is in build-fuzz/ (crash-*)"
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$log"
done
