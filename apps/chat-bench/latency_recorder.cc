#include "latency_recorder.h"

#include <atomic>

namespace chat::bench {
namespace {

std::atomic<std::uint64_t> next_generation{1};

}  // namespace

LatencyRecorder::LatencyRecorder() : generation_(next_generation++) {}

LatencyHistogram& LatencyRecorder::Local() {
  thread_local std::uint64_t cached_generation = 0;
  thread_local LatencyHistogram* cached = nullptr;
  if (cached_generation != generation_) {
    std::lock_guard<std::mutex> lock(mu_);
    histograms_.push_back(std::make_unique<LatencyHistogram>());
    cached = histograms_.back().get();
    cached_generation = generation_;
  }
  return *cached;
}

LatencyHistogram LatencyRecorder::Merged() const {
  std::lock_guard<std::mutex> lock(mu_);
  LatencyHistogram merged;
  for (const auto& histogram : histograms_) merged.Merge(*histogram);
  return merged;
}

}  // namespace chat::bench
