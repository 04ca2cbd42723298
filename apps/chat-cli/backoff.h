// The waits between reconnection attempts.
#ifndef CHAT_CLI_BACKOFF_H_
#define CHAT_CLI_BACKOFF_H_

#include <chrono>
#include <cstdint>
#include <random>

namespace chat::cli {

// Exponential backoff with jitter. The n-th wait is based on first * 2^n, at most `cap`, and
// scaled by a random factor in [0.8, 1.2] so that the clients of a restarted server do not all
// come back at the same moment. Not thread-safe.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds cap, std::uint32_t seed = std::random_device()());

  // The next wait. Each call doubles the base, until it reaches the cap.
  std::chrono::milliseconds Next();

 private:
  const std::chrono::milliseconds cap_;
  std::chrono::milliseconds base_;
  std::minstd_rand random_;
};

}  // namespace chat::cli

#endif  // CHAT_CLI_BACKOFF_H_
