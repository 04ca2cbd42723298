#ifndef CHAT_APPS_CHAT_BENCH_STALLED_STREAM_H_
#define CHAT_APPS_CHAT_BENCH_STALLED_STREAM_H_

#include <chrono>
#include <memory>
#include <string>

namespace chat::bench {

// A Listen stream on a connection of its own that is never read: the client of somebody who walked
// away. chat::Client always reads, so this one is made on gRPC directly.
class StalledStream {
 public:
  // Opens the stream and returns once the server has accepted it.
  static std::unique_ptr<StalledStream> Open(const std::string& address, const std::string& tls_root_certificates);
  ~StalledStream();

  // Reads what the stream still holds and says whether the server had ended it: it ends with
  // RESOURCE_EXHAUSTED when the server evicted it, or CANCELLED when the server gave up waiting for
  // it to drain. A stream that is still open at `deadline` is cancelled here and counts as not
  // evicted.
  bool DrainAndCheckEvicted(std::chrono::steady_clock::time_point deadline);

 private:
  class Impl;
  explicit StalledStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_STALLED_STREAM_H_
