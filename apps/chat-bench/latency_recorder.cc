#include "latency_recorder.h"

#include <algorithm>

namespace chat::bench {

void LatencyRecorder::Record(std::uint64_t id, std::uint64_t micros) {
  deliveries_.Record(micros);
  Widen(id, Copies{micros, micros});
}

void LatencyRecorder::Merge(const LatencyRecorder& other) {
  deliveries_.Merge(other.deliveries_);
  for (const auto& [id, copies] : other.copies_) Widen(id, copies);
}

void LatencyRecorder::Widen(std::uint64_t id, const Copies& seen) {
  const auto [copies, inserted] = copies_.try_emplace(id, seen);
  if (inserted) return;
  copies->second.first_micros = std::min(copies->second.first_micros, seen.first_micros);
  copies->second.last_micros = std::max(copies->second.last_micros, seen.last_micros);
}

LatencyHistogram LatencyRecorder::FirstCopies() const {
  LatencyHistogram firsts;
  for (const auto& [id, copies] : copies_) firsts.Record(copies.first_micros);
  return firsts;
}

LatencyHistogram LatencyRecorder::LastCopies() const {
  LatencyHistogram lasts;
  for (const auto& [id, copies] : copies_) lasts.Record(copies.last_micros);
  return lasts;
}

}  // namespace chat::bench
