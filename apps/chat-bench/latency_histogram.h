#ifndef CHAT_APPS_CHAT_BENCH_LATENCY_HISTOGRAM_H_
#define CHAT_APPS_CHAT_BENCH_LATENCY_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace chat::bench {

// Latencies in microseconds, counted in log-linear buckets: exact below 1024 µs, and within 1/64
// of the value above. Recording is a few shifts and an increment, so every delivery can be
// recorded. Not thread-safe: keep one per thread and Merge() them.
class LatencyHistogram {
 public:
  LatencyHistogram();

  void Record(std::uint64_t micros);
  void Merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }

  // The value at or below which `fraction` (0 < fraction <= 1) of the samples lie, as the upper
  // bound of its bucket (never above the largest sample). 0 when there are no samples.
  std::uint64_t Percentile(double fraction) const;

 private:
  static std::size_t BucketOf(std::uint64_t micros);
  static std::uint64_t UpperBoundOf(std::size_t bucket);

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_LATENCY_HISTOGRAM_H_
