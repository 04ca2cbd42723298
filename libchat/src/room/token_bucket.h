#ifndef CHAT_SRC_ROOM_TOKEN_BUCKET_H_
#define CHAT_SRC_ROOM_TOKEN_BUCKET_H_

#include <algorithm>
#include <chrono>

namespace chat {

// Flood control for one sender (a connection, a source address): holds at most `burst` tokens, gains `rate` per second, and every
// message takes one. A rate of 0 means no limit. Not thread-safe; the room's lock guards it.
class TokenBucket {
 public:
  using Time = std::chrono::steady_clock::time_point;

  TokenBucket() = default;  // no limit
  TokenBucket(double rate, double burst, Time now) : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  // Takes `count` tokens if that many are there.
  bool TryTake(Time now, double count = 1) {
    if (rate_ <= 0) return true;
    const std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    last_ = now;
    if (tokens_ < count) return false;
    tokens_ -= count;
    return true;
  }

  // When the bucket will hold `burst` tokens again if nothing is taken: from then on it is the same
  // as a new one, so whoever keeps it may forget it without giving anything back.
  Time FullAt() const {
    if (rate_ <= 0) return last_;
    return last_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>((burst_ - tokens_) / rate_));
  }

 private:
  double rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  Time last_;
};

}  // namespace chat

#endif  // CHAT_SRC_ROOM_TOKEN_BUCKET_H_
