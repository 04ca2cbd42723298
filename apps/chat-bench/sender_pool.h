#ifndef CHAT_APPS_CHAT_BENCH_SENDER_POOL_H_
#define CHAT_APPS_CHAT_BENCH_SENDER_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chat/client.h"

namespace chat::bench {

// The sending side of a run: registered users on connections of their own, each a thread that
// sends stamped messages (see stamp.h) at its share of the rate, or flat out. Sends are unary
// calls, one at a time per sender, so a sender's pace is bounded by the round trip.
class SenderPool {
 public:
  // Registers `senders` users ("bench-PID-N"), each on a Client made with `connection`, and starts
  // them. `rate` is messages per second
  // from all of them together; 0 is flat out.
  static Result<std::unique_ptr<SenderPool>> Start(const ClientOptions& connection, int senders, double rate,
                                                   std::size_t size);
  ~SenderPool();

  // Stops every sender and waits for it. Idempotent.
  void Stop();

  std::uint64_t accepted() const { return accepted_.load(); }
  std::uint64_t refused() const { return refused_.load(); }
  // The highest id the server gave a message of this pool (0 before the first).
  std::uint64_t last_id() const { return last_id_.load(); }
  // The first refusal, if any, for the report.
  Status first_refusal() const;

 private:
  SenderPool(double rate_per_sender, std::size_t size) : rate_per_sender_(rate_per_sender), size_(size) {}
  void Run(Client& client);

  const double rate_per_sender_;
  const std::size_t size_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> last_id_{0};
  mutable std::mutex mu_;
  Status first_refusal_;  // guarded by mu_
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_SENDER_POOL_H_
