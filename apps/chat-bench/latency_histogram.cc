#include "latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace chat::bench {
namespace {

constexpr std::uint64_t kExact = 1024;    // one bucket per microsecond below this
constexpr int kSubBucketBits = 6;          // 64 buckets per power of two above it
constexpr int kFirstLogExponent = 10;      // log2(kExact)
constexpr std::size_t kBuckets = kExact + (64 - kFirstLogExponent) * (1u << kSubBucketBits);

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

std::size_t LatencyHistogram::BucketOf(std::uint64_t micros) {
  if (micros < kExact) return static_cast<std::size_t>(micros);
  const int exponent = std::bit_width(micros) - 1;  // >= kFirstLogExponent
  const std::uint64_t sub_bucket = (micros >> (exponent - kSubBucketBits)) & ((1u << kSubBucketBits) - 1);
  return kExact + static_cast<std::size_t>(exponent - kFirstLogExponent) * (1u << kSubBucketBits) + sub_bucket;
}

std::uint64_t LatencyHistogram::UpperBoundOf(std::size_t bucket) {
  if (bucket < kExact) return bucket;
  const std::size_t log_bucket = bucket - kExact;
  const int exponent = static_cast<int>(log_bucket >> kSubBucketBits) + kFirstLogExponent;
  const std::uint64_t sub_bucket = log_bucket & ((1u << kSubBucketBits) - 1);
  return (((1ull << kSubBucketBits) + sub_bucket + 1) << (exponent - kSubBucketBits)) - 1;
}

void LatencyHistogram::Record(std::uint64_t micros) {
  ++counts_[BucketOf(micros)];
  ++count_;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::Percentile(double fraction) const {
  if (count_ == 0) return 0;
  const auto wanted = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= std::max<std::uint64_t>(wanted, 1)) return std::min(UpperBoundOf(i), max_);
  }
  return max_;
}

}  // namespace chat::bench
