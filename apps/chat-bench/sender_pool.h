#ifndef CHAT_APPS_CHAT_BENCH_SENDER_POOL_H_
#define CHAT_APPS_CHAT_BENCH_SENDER_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "chat/client.h"

namespace grpc {
class CompletionQueue;
}  // namespace grpc

namespace chat::bench {

// The sending side of a run: registered users on connections of their own, each sending stamped
// messages (see stamp.h) at its share of the rate, or flat out. Each sender has one SendMessage in
// flight at a time, so a sender's pace is bounded by the round trip; with a rate, it sends on a
// fixed schedule, and at once when an answer comes back after its next send time.
//
// The senders send on completion queues of the pool's own, the way SubscriberPool reads: a sender
// is a small state machine, not a thread, and one or two threads poll the queues for all of them.
// The measuring client then costs as little as it can on the machine it shares with the server.
//
// Threading: Start, Stop and the destructor belong to the owner's thread; the counters may be read
// from any thread at any time. Each sender is advanced by one polling thread at a time (it has one
// operation in flight). The pool's mutex guards first_refusal_ and done_, and orders setting a
// sender's alarm against Stop() cancelling it.
class SenderPool {
 public:
  class Sender;  // one sender's state machine, in the .cc

  // Registers `senders` users ("bench-PID-N"), each with AddUser on a connection of its own to
  // `connection.server_address` (over TLS when `connection.tls_root_certificates` are given), and
  // starts them. `rate` is messages per second from all of them together; 0 is flat out. Each
  // SendMessage runs out after `connection.rpc_timeout`. Fails when a registration does not answer
  // ADDED; the senders registered until then keep their names for the server's grace period.
  static Result<std::unique_ptr<SenderPool>> Start(const ClientOptions& connection, int senders, double rate,
                                                   std::size_t size);
  ~SenderPool();

  SenderPool(const SenderPool&) = delete;
  SenderPool& operator=(const SenderPool&) = delete;

  // Stops sending, waits for every message in flight to be answered (or to run out), and stops the
  // polling threads; the counters are final after it. Idempotent.
  void Stop();

  std::uint64_t accepted() const;
  std::uint64_t refused() const;
  // The highest id the server gave a message of this pool (0 before the first).
  std::uint64_t last_id() const;
  // The first refusal, if any, for the report.
  Status first_refusal() const;

 private:
  SenderPool();
  // Polls `queue` until it is shut down and drained.
  void Poll(grpc::CompletionQueue* queue);
  // Called by a sender that has sent its last message and has nothing left in flight.
  void OnSenderDone();
  void OnRefused(const Status& status);

  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::condition_variable all_done_;
  // Written under mu_, read without it by the senders after each answer.
  std::atomic<bool> stopping_{false};
  std::size_t done_ = 0;  // guarded by mu_; senders that have ended for good
  Status first_refusal_;  // guarded by mu_
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_SENDER_POOL_H_
