#ifndef CHAT_APPS_CHAT_BENCH_LATENCY_RECORDER_H_
#define CHAT_APPS_CHAT_BENCH_LATENCY_RECORDER_H_

#include <cstdint>
#include <unordered_map>

#include "latency_histogram.h"

namespace chat::bench {

// What the reader threads record of the deliveries: every delivery's latency, and for each message
// the latency of its first copy and of its last. A message reaches its first subscriber after the
// path through the server (and, with several nodes, through Redis); the rest of its copies follow
// as the server writes and chat-bench reads them one after another. The first copies measure the
// path, the last ones the path plus the fan-out, so a report can tell the two apart.
//
// Not thread-safe: keep one per thread and Merge() them once the threads are done.
class LatencyRecorder {
 public:
  // A copy of message `id` arrived `micros` after it was sent.
  void Record(std::uint64_t id, std::uint64_t micros);
  void Merge(const LatencyRecorder& other);

  // Every delivery recorded.
  const LatencyHistogram& deliveries() const { return deliveries_; }
  // One sample per message: the latency of its earliest copy, and of its latest.
  LatencyHistogram FirstCopies() const;
  LatencyHistogram LastCopies() const;

 private:
  struct Copies {
    std::uint64_t first_micros;
    std::uint64_t last_micros;
  };

  // Makes message `id`'s copies span `seen` too.
  void Widen(std::uint64_t id, const Copies& seen);

  LatencyHistogram deliveries_;
  std::unordered_map<std::uint64_t, Copies> copies_;  // by message id
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_LATENCY_RECORDER_H_
