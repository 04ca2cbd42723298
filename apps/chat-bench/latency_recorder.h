#ifndef CHAT_APPS_CHAT_BENCH_LATENCY_RECORDER_H_
#define CHAT_APPS_CHAT_BENCH_LATENCY_RECORDER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "latency_histogram.h"

namespace chat::bench {

// Records latencies from many threads without contention: each thread gets a histogram of its own
// on first use. Merged() must not run while threads still record.
class LatencyRecorder {
 public:
  LatencyRecorder();

  void Record(std::uint64_t micros) { Local().Record(micros); }
  LatencyHistogram Merged() const;

 private:
  LatencyHistogram& Local();

  const std::uint64_t generation_;  // tells this recorder's thread-local histograms from older ones
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<LatencyHistogram>> histograms_;  // guarded by mu_
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_LATENCY_RECORDER_H_
