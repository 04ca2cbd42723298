// Defends against "rapid reset" (CVE-2023-44487): a client that opens HTTP/2 streams and cancels
// them at once (RST_STREAM), as fast as it can. gRPC 1.51 creates a call for every such stream and
// queues it for the application; most are cancelled before any call object of ours sees them, so
// nothing in the call objects can count them. One connection doing this used two cores, took RSS
// to 2 GB and delayed everyone's calls by 15 s.
//
// What does see them is channelz, gRPC's own bookkeeping (on by default): per server, the calls
// started and those that ended; per connection ("socket"), the streams the client started and those
// that ended before the server answered them ("failed": on a server, exactly the streams the client
// reset). Every kTick the guard reads the server totals, which costs one small JSON document. When
// more than half a burst of calls started in that tick without ending answered, it reads every
// connection of the server, charges each source address (source_address.h) for the streams its
// connections had reset since the tick before, and holds off an address that overdraws its bucket
// (max_reset_rate per second, max_reset_burst at once): the Acceptor shuts its connections down and
// refuses new ones for reset_flood_hold. The bucket belongs to the address, so reconnecting does not
// refill it.
//
// A connection is charged only for resets between two reads in a row, so an honest client's
// cancels, spread over hours, are not charged at once the first time an attack makes the guard
// look. An attacker is seen within two or three ticks.
//
// Threading: one thread of its own; everything here but the constructor and destructor runs on it.
#ifndef CHAT_SRC_SERVER_RESET_FLOOD_GUARD_H_
#define CHAT_SRC_SERVER_RESET_FLOOD_GUARD_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "server/acceptor.h"
#include "room/token_bucket.h"

namespace chat {

class ResetFloodGuard {
 public:
  struct Options {
    double max_reset_rate = 20;  // 0: the guard does nothing
    double max_reset_burst = 200;
    std::chrono::milliseconds hold{10000};
  };
  static constexpr std::chrono::milliseconds kTick{100};

  // Watches the connections `acceptor` accepted for the gRPC server(s) of this process (those of
  // other servers are told apart by their local port), until destroyed. `acceptor` must outlive it.
  ResetFloodGuard(const Options& options, Acceptor* acceptor);
  ~ResetFloodGuard();

  ResetFloodGuard(const ResetFloodGuard&) = delete;
  ResetFloodGuard& operator=(const ResetFloodGuard&) = delete;

 private:
  using Time = std::chrono::steady_clock::time_point;
  struct Connection {
    std::uint64_t resets = 0;  // streams the client reset, when last read
    std::uint64_t tick = 0;    // when last read
  };

  void Loop();
  void Check(Time now);
  // Reads every connection of channelz server `server_id`; charges addresses and holds off those
  // that overdraw.
  void ChargeConnectionsOf(std::int64_t server_id, Time now);

  const Options options_;
  Acceptor* const acceptor_;
  std::uint64_t tick_ = 0;
  std::unordered_map<std::int64_t, std::uint64_t> unanswered_;  // per channelz server: calls started, not answered
  std::unordered_map<std::int64_t, Connection> connections_;    // by channelz socket id
  std::unordered_map<std::string, TokenBucket> buckets_;        // by source address

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_RESET_FLOOD_GUARD_H_
