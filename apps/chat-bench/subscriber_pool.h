#ifndef CHAT_APPS_CHAT_BENCH_SUBSCRIBER_POOL_H_
#define CHAT_APPS_CHAT_BENCH_SUBSCRIBER_POOL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chat/client.h"
#include "latency_histogram.h"
#include "latency_recorder.h"
#include "stalled_stream.h"

namespace chat::bench {

// The listening side of a run. Subscribers listen without registering (they only receive); they
// have a connection each, or share a few. Stalled subscribers open a stream and never read it.
class SubscriberPool {
 public:
  struct Tally {
    std::uint64_t deliveries = 0;  // chat messages received, all subscribers together
    std::uint64_t lost = 0;        // accepted messages a subscriber that was not evicted never got
    std::uint64_t reordered = 0;   // deliveries with an id below one already received
    std::uint64_t evicted = 0;     // subscribers the server ended for falling behind
    std::int64_t last_delivery_nanos = 0;
    LatencyHistogram latency;      // from the send stamp to the delivery
  };

  // Opens every stream and returns once the server has accepted them all.
  static Result<std::unique_ptr<SubscriberPool>> Open(const std::string& address, int subscribers, int connections,
                                                      int stalled);
  ~SubscriberPool();

  // Chat messages received so far, all subscribers together.
  std::uint64_t deliveries() const { return deliveries_.load(std::memory_order_relaxed); }

  // Waits until every subscriber still listening has received message `id`; false after `patience`.
  bool WaitForAll(std::uint64_t id, std::chrono::milliseconds patience) const;

  // Ends every stream and counts what each got of the `accepted` messages sent while all listened.
  Tally Close(std::uint64_t accepted);

 private:
  // One subscriber's counts. Written by its stream's reactions, one at a time; read by the owner.
  struct Subscriber {
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> last_id{0};
    std::atomic<std::uint64_t> reordered{0};
    std::atomic<std::int64_t> last_delivery_nanos{0};
    std::atomic<bool> evicted{false};
    std::atomic<bool> ended{false};
  };

  SubscriberPool() = default;
  void OnMessage(Subscriber& subscriber, const ChatMessage& message);

  std::vector<std::unique_ptr<Client>> connections_;
  std::vector<std::unique_ptr<Subscriber>> subscribers_;
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
  std::vector<std::unique_ptr<StalledStream>> stalled_;
  std::atomic<std::uint64_t> deliveries_{0};
  LatencyRecorder latency_;
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_SUBSCRIBER_POOL_H_
