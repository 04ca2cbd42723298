#ifndef CHAT_APPS_CHAT_BENCH_SUBSCRIBER_POOL_H_
#define CHAT_APPS_CHAT_BENCH_SUBSCRIBER_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chat/status.h"
#include "latency_histogram.h"
#include "stalled_stream.h"

namespace chat::bench {

// The listening side of a run. Subscribers listen without registering (they only receive); they
// have a connection each, or share a few. They read Subscribe streams, as chat::Client does, or
// Listen streams, as the workshop's clients do. Stalled subscribers open a stream and never read it.
//
// The subscribers read on completion queues of the pool's own, the way the server serves: the
// thread that polls a connection handles the read it completes, with none of the hand-offs of
// gRPC's callback API (which chat::Client uses). The measuring client then costs as little as it
// can on the machine it shares with the server.
class SubscriberPool {
 public:
  class Reader;  // one subscriber's stream; public for the readers of each RPC, in the .cc

  // How the subscribers share connections and reader threads.
  struct ReaderPolling {
    int connections = 0;          // connections the subscribers share; 0: one each
    int threads = 2;              // reader threads; two keep both cores of a small machine busy
    bool queue_per_thread = true;  // each thread polls a completion queue of its own; else all share one
    bool batched = true;          // Subscribe streams (batches, as chat::Client reads); else Listen
  };

  struct Tally {
    std::uint64_t deliveries = 0;  // chat messages received, all subscribers together
    std::uint64_t lost = 0;        // accepted messages a subscriber that was not evicted never got
    std::uint64_t reordered = 0;   // deliveries with an id below one already received
    std::uint64_t evicted = 0;     // reading subscribers the server ended for falling behind
    std::uint64_t stalled_evicted = 0;  // stalled subscribers the server ended (all, when it works)
    // Reading subscribers whose streams ended on their own, for another reason than eviction (a
    // server that does not serve the RPC, say), and the first one's status.
    std::uint64_t failed = 0;
    Status first_failure;
    std::int64_t last_delivery_nanos = 0;
    LatencyHistogram latency;      // from the send stamp to the delivery
    LatencyHistogram first_copies;  // per message, to its first delivery (LatencyRecorder)
    LatencyHistogram last_copies;   // per message, to its last delivery
  };

  // Opens every stream (over TLS when `tls_root_certificates` are given) and returns once the
  // server has accepted them all.
  static Result<std::unique_ptr<SubscriberPool>> Open(const std::string& address,
                                                      const std::string& tls_root_certificates, int subscribers,
                                                      const ReaderPolling& polling, int stalled);
  ~SubscriberPool();

  // Chat messages received so far, all subscribers together.
  std::uint64_t deliveries() const;

  // Waits until every subscriber still listening has received message `id`, or `patience` has
  // passed; what has not arrived by then counts as lost in Close().
  void WaitForAll(std::uint64_t id, std::chrono::milliseconds patience) const;

  // Ends every stream and counts what each got of the `accepted` messages sent while all listened.
  Tally Close(std::uint64_t accepted);

 private:
  class Readers;

  SubscriberPool() = default;
  // A reader's stream was accepted by the server (or failed to start: `ok` false).
  void OnAccepted(bool ok);

  std::unique_ptr<Readers> readers_;
  std::mutex mu_;
  std::condition_variable all_accepted_;
  std::size_t expected_ = 0;  // guarded by mu_
  std::size_t accepted_ = 0;  // guarded by mu_
  std::size_t refused_ = 0;   // guarded by mu_
  std::vector<std::unique_ptr<StalledStream>> stalled_;
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_SUBSCRIBER_POOL_H_
