// Tells a server that writes slower than it accepts from streams whose clients do not read.
#ifndef CHAT_SRC_SERVER_BUSY_GATE_H_
#define CHAT_SRC_SERVER_BUSY_GATE_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace chat {

// When every stream falls behind together, the server writes slower than it accepts; evicting the
// streams would punish healthy readers for the server's limits, so SendMessage refuses new messages
// as busy instead: when the messages waiting in the streams' queues exceed a quarter of what those
// queues may hold (and at least two full queues, so that one stream never closes the gate alone).
//
// A stream whose client stopped reading is another matter: it waits for its client, not for the
// server, and must not close the gate for everybody. A stream counts as stalled once the write it
// has in flight has not come back for kStalledAfter (gRPC completes a write as soon as the
// connection's flow-control window takes it, so a client that reads, however slowly, keeps its
// writes coming back). A stalled stream counts neither its queue nor itself; it is evicted by its
// own rules (queue full, or lagging too long), and counts again once a write comes back.
//
// Threading: every method from any thread; the counts are atomics. Each stream reports its own
// changes (ListenCall::RecountLocked), so the sums are exact.
class BusyGate {
 public:
  static constexpr std::chrono::seconds kStalledAfter{1};

  explicit BusyGate(std::size_t max_queued) : max_queued_(static_cast<std::int64_t>(max_queued)) {}

  BusyGate(const BusyGate&) = delete;
  BusyGate& operator=(const BusyGate&) = delete;

  // A stream's count of waiting messages changed by `delta`.
  void AddQueued(std::int64_t delta) { queued_.fetch_add(delta, std::memory_order_relaxed); }
  // A stream became stalled (true) or came back (false).
  void SetStalled(bool stalled) { stalled_.fetch_add(stalled ? 1 : -1, std::memory_order_relaxed); }

  // True when the server is falling behind with `streams` streams open.
  bool Closed(std::size_t streams) const {
    const std::int64_t counted =
        std::max<std::int64_t>(0, static_cast<std::int64_t>(streams) - stalled_.load(std::memory_order_relaxed));
    const std::int64_t limit = std::max(counted * max_queued_ / 4, 2 * max_queued_);
    return queued_.load(std::memory_order_relaxed) > limit;
  }

 private:
  const std::int64_t max_queued_;
  std::atomic<std::int64_t> queued_{0};   // in the queues of streams not stalled
  std::atomic<std::int64_t> stalled_{0};  // streams stalled
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_BUSY_GATE_H_
