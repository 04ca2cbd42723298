#include "server/metrics/call_metrics.h"

#include <algorithm>

namespace chat {
namespace {

// kLatencyBuckets in nanoseconds, so that a duration finds its bucket with integer comparisons.
constexpr std::array<std::int64_t, kLatencyBuckets.size()> BucketBoundsInNanoseconds() {
  std::array<std::int64_t, kLatencyBuckets.size()> bounds{};
  for (std::size_t i = 0; i < bounds.size(); ++i) bounds[i] = static_cast<std::int64_t>(kLatencyBuckets[i] * 1e9);
  return bounds;
}
constexpr auto kBucketBounds = BucketBoundsInNanoseconds();

}  // namespace

std::string_view RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kAddUser: return "AddUser";
    case Rpc::kSendMessage: return "SendMessage";
    case Rpc::kListen: return "Listen";
    case Rpc::kSubscribe: return "Subscribe";
    case Rpc::kListUsers: return "ListUsers";
    case Rpc::kHistory: return "History";
    case Rpc::kLeave: return "Leave";
    case Rpc::kHealthCheck: return "Check";
  }
  return "unknown";
}

std::string_view StatusCodeName(std::size_t code) {
  static constexpr std::array<std::string_view, kStatusCodes> kNames = {
      "OK",        "CANCELLED",          "UNKNOWN",        "INVALID_ARGUMENT",    "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS",     "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",       "UNIMPLEMENTED",  "INTERNAL",            "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  return code < kNames.size() ? kNames[code] : "UNKNOWN";
}

// Bucket i holds the durations d with bound[i-1] < d <= bound[i], as Prometheus's `le` says.
void LatencyHistogram::Observe(std::chrono::nanoseconds duration) {
  const std::int64_t nanoseconds = std::max<std::int64_t>(0, duration.count());
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), nanoseconds) - kBucketBounds.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_nanoseconds_.fetch_add(static_cast<std::uint64_t>(nanoseconds), std::memory_order_relaxed);
}

void LatencyHistogram::AddTo(Snapshot& into) const {
  for (std::size_t i = 0; i < counts_.size(); ++i) into.counts[i] += counts_[i].load(std::memory_order_relaxed);
  into.sum_nanoseconds += sum_nanoseconds_.load(std::memory_order_relaxed);
}

}  // namespace chat
