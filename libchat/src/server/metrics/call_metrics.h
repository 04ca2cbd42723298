// What the call objects of one completion queue count for the server's metrics (server_metrics.h):
// calls refused by RPC and status code, AddUser's answers, how long each RPC took to handle, and how
// long messages took from the room to their streams.
//
// Threading: each completion queue has a CallMetrics of its own, so the counts are written by that
// queue's one thread and by nobody else; the metrics endpoint reads them from its own threads at any
// time. Every count is a relaxed atomic: no lock is taken to count, and the line a queue writes is
// not shared with another queue's (the fields are aligned apart from other objects). A scrape may
// see a histogram's count and its buckets a few observations apart, which Prometheus tolerates.
#ifndef CHAT_SRC_SERVER_METRICS_CALL_METRICS_H_
#define CHAT_SRC_SERVER_METRICS_CALL_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chat/message.h"

namespace chat {

// The RPCs counted, each named as its method is on the wire (label `rpc`).
enum class Rpc { kAddUser, kSendMessage, kListen, kSubscribe, kListUsers, kHistory, kLeave, kHealthCheck };
inline constexpr std::size_t kRpcs = static_cast<std::size_t>(Rpc::kHealthCheck) + 1;
std::string_view RpcName(Rpc rpc);

// gRPC's status codes run from OK (0) to UNAUTHENTICATED (16).
inline constexpr std::size_t kStatusCodes = 17;
std::string_view StatusCodeName(std::size_t code);

// Latencies from 50 µs to 10 s; the +Inf bucket is implied. In seconds, as Prometheus wants them.
inline constexpr std::array<double, 17> kLatencyBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                         0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                                         0.5,     1,      2.5,     5,      10};

// A histogram of durations with the fixed buckets above: one atomic count per bucket (not
// cumulative: the reader adds them up) and the sum in nanoseconds.
class LatencyHistogram {
 public:
  struct Snapshot {
    std::array<std::uint64_t, kLatencyBuckets.size() + 1> counts{};  // the last one is +Inf
    std::uint64_t sum_nanoseconds = 0;
  };

  void Observe(std::chrono::nanoseconds duration);
  // Adds this histogram's counts to `into`.
  void AddTo(Snapshot& into) const;

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_nanoseconds_{0};
};

class alignas(64) CallMetrics {
 public:
  CallMetrics() = default;
  CallMetrics(const CallMetrics&) = delete;
  CallMetrics& operator=(const CallMetrics&) = delete;

  // A call of `rpc` was answered with gRPC status `code`; only refusals (any code but OK) are
  // counted. Unary calls count every answer; Listen and Subscribe only the refusal of a stream, never
  // its end.
  void RecordAnswer(Rpc rpc, int code) {
    if (code > 0 && static_cast<std::size_t>(code) < kStatusCodes) {
      refusals_[static_cast<std::size_t>(rpc)][static_cast<std::size_t>(code)].fetch_add(1, std::memory_order_relaxed);
    }
  }
  // A unary call of `rpc` took `handling` from its arrival to its answer being handed to gRPC.
  void RecordHandling(Rpc rpc, std::chrono::nanoseconds handling) {
    handling_[static_cast<std::size_t>(rpc)].Observe(handling);
  }
  // AddUser answered OK with `code` (ADDED, TAKEN or INVALID).
  void RecordRegistration(RegistrationCode code) {
    const auto index = static_cast<std::size_t>(code);
    if (index < registrations_.size()) registrations_[index].fetch_add(1, std::memory_order_relaxed);
  }
  // A live message was written to a stream `latency` after the room accepted it.
  void RecordFanOut(std::chrono::nanoseconds latency) { fan_out_.Observe(latency); }

  std::uint64_t refusals(Rpc rpc, std::size_t code) const {
    return refusals_[static_cast<std::size_t>(rpc)][code].load(std::memory_order_relaxed);
  }
  std::uint64_t registrations(RegistrationCode code) const {
    return registrations_[static_cast<std::size_t>(code)].load(std::memory_order_relaxed);
  }
  const LatencyHistogram& handling(Rpc rpc) const { return handling_[static_cast<std::size_t>(rpc)]; }
  const LatencyHistogram& fan_out() const { return fan_out_; }

 private:
  std::array<std::array<std::atomic<std::uint64_t>, kStatusCodes>, kRpcs> refusals_{};
  std::array<std::atomic<std::uint64_t>, 4> registrations_{};  // by RegistrationCode; kNone stays 0
  std::array<LatencyHistogram, kRpcs> handling_;
  LatencyHistogram fan_out_;
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_METRICS_CALL_METRICS_H_
