#!/usr/bin/env bash
# Builds everything twice more, with AddressSanitizer and UndefinedBehaviorSanitizer (build-asan)
# and with ThreadSanitizer (build-tsan), and runs the whole test suite in each; under
# ThreadSanitizer a second time, looking for lock-order inversions only. Any report fails
# the run: the builds stop at the first error, and LeakSanitizer turns a leak into a failed exit.
# With an argument (asan or tsan) only that one.
set -euo pipefail
cd "$(dirname "$0")/.."

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# history_size=7 keeps the longest access history: tests/tsan.supp matches the stack of the
# earlier access too, and a report whose earlier stack could not be restored matches none of them.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=7:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/tsan.supp"

scripts/setup.sh
for kind in ${@:-asan tsan}; do
  case "$kind" in
    asan) sanitizers=address,undefined ;;
    tsan) sanitizers=thread ;;
    *) echo "unknown sanitizer build: $kind" >&2; exit 2 ;;
  esac
  echo "== $kind"
  cmake -S . -B "build-$kind" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHAT_WERROR=ON -DCHAT_SANITIZE="$sanitizers"
  cmake --build "build-$kind"
  ctest --test-dir "build-$kind" --output-on-failure -j "$(nproc)"
  if [ "$kind" = tsan ]; then
    echo "== tsan: lock order"
    # Potential deadlocks, watched through gRPC's own calls as well (tests/tsan-lock-order.supp).
    # Watching that closely slows gRPC several times over, so the tests that push tens of thousands
    # of messages through it are left out (the eviction, overload and counter floods, the bad-input
    # table, the limits tests with half the streams stalled and with a flood of direct messages,
    # the overload test whose sixteen stalled streams must each be filled until evicted,
    # e2e.bench, e2e.churn, e2e.many_streams, and e2e.rapid_reset, whose attacker leaves gRPC so many
    # reset calls to unwind that the server, slowed this way, took more than 20 s to stop): they would
    # miss their deadlines; so is e2e.server_process,
    # whose shutdown-time and idle-CPU limits are for a server not slowed this way, and so is
    # shutdown under load, whose senders must never pause for 20 ms (shutdown_test.cc). The tests that
    # remain take the server's locks in registration, messages, streams, shutdown, health and bots.
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan-lock-order.supp" \
      ctest --test-dir build-tsan --output-on-failure -j "$(nproc)" \
      -E 'e2e\.(bench|churn|server_process|many_streams|rapid_reset)|stops reading is evicted|evicted stream whose client|bad-input table|every stream falls behind|stopped reading do not make the server busy|counters follow|shutdown under load|half of all streams never reading|reads 200 messages'
  fi
done
