// Tells a server that writes slower than it accepts from streams whose clients do not read.
#ifndef CHAT_SRC_BUSY_GATE_H_
#define CHAT_SRC_BUSY_GATE_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace chat {

// When every stream falls behind together, the server writes slower than it accepts; evicting the
// streams would punish healthy readers for the server's limits, so SendMessage refuses new messages
// as busy instead. A client that stops reading is another matter: it must not close the gate for
// everybody. So each stream counts its queue towards the gate only up to a share, a third of the
// queue it may hold, and the gate closes when the counts together exceed three quarters of what all
// streams at their full share would count: when every stream falls behind alike, that is when the
// queues are a quarter full on average. It never closes below two shares, so a lone stream cannot
// close it. Streams that never read stay at one share each: with half of all streams stalled the
// count is two thirds of the limit, and only the readers' own backlog can close it. Stalled streams
// are evicted by their own rules (queue full, or lagging too long).
//
// Threading: every method from any thread; the count is one atomic.
class BusyGate {
 public:
  explicit BusyGate(std::size_t max_queued) : share_(std::max<std::size_t>(1, max_queued / 3)) {}

  BusyGate(const BusyGate&) = delete;
  BusyGate& operator=(const BusyGate&) = delete;

  // A stream's queue grew by one, to `size`.
  void Grew(std::size_t size) {
    if (size <= share_) counted_.fetch_add(1, std::memory_order_relaxed);
  }
  // A stream's queue shrank by one, from `size`.
  void Shrank(std::size_t size) {
    if (size <= share_) counted_.fetch_sub(1, std::memory_order_relaxed);
  }
  // A stream's queue of `size` was emptied at once.
  void Dropped(std::size_t size) {
    counted_.fetch_sub(static_cast<std::int64_t>(std::min(size, share_)), std::memory_order_relaxed);
  }

  // True when the server is falling behind with `streams` streams open.
  bool Closed(std::size_t streams) const {
    const auto share = static_cast<std::int64_t>(share_);
    const auto limit = std::max(static_cast<std::int64_t>(streams) * share * 3 / 4, 2 * share);
    return counted_.load(std::memory_order_relaxed) > limit;
  }

 private:
  const std::size_t share_;
  std::atomic<std::int64_t> counted_{0};
};

}  // namespace chat

#endif  // CHAT_SRC_BUSY_GATE_H_
