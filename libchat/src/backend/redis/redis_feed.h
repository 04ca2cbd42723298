// A subscription to one Redis channel, on a thread of its own: every message published on the
// channel while the subscription stands is handed to on_message, in the order Redis published
// them, on the feed's thread. Redis keeps nothing for a subscriber that is away, so the owner
// learns of each (re)subscription (on_subscribed: what was published before it was not seen) and
// of each loss (on_lost), and reads what it missed elsewhere (RedisLog reads its stream).
//
// A quiet subscription is checked: after `quiet` without a message the feed sends PING, and a
// Redis that does not answer within the connection's timeout (stalled, or gone without a word) is
// taken as lost. A lost subscription is made again after the connection's backoff
// (ReconnectBackoff), with jitter.
//
// Threading: the handlers run on the feed's thread, one at a time, and must not block; Stop() may
// be called from any thread but a handler's.
#ifndef CHAT_SRC_BACKEND_REDIS_REDIS_FEED_H_
#define CHAT_SRC_BACKEND_REDIS_REDIS_FEED_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "backend/redis/redis_connection.h"
#include "chat/status.h"

struct redisContext;

namespace chat {

struct RedisFeedHandlers {
  std::function<void()> on_subscribed;
  std::function<void(std::string message)> on_message;
  std::function<void(const Status& status)> on_lost;  // UNAVAILABLE, with the reason
};

class RedisFeed {
 public:
  // Starts the thread, which connects and subscribes at once.
  RedisFeed(RedisConnectionOptions options, std::string channel, std::chrono::milliseconds quiet,
            RedisFeedHandlers handlers);
  // Stop().
  ~RedisFeed();

  RedisFeed(const RedisFeed&) = delete;
  RedisFeed& operator=(const RedisFeed&) = delete;

  // Ends the subscription (its socket is shut down) and joins the thread; no handler runs
  // afterwards. Idempotent.
  void Stop();

 private:
  void Loop();
  // Subscribes on context_ and hands over what comes until the subscription fails, with the
  // reason in `why`, or Stop() ends it. Whether it subscribed.
  bool Listen(std::string& why);

  const RedisConnectionOptions options_;
  const std::string channel_;
  const std::chrono::milliseconds quiet_;
  const RedisFeedHandlers handlers_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;            // guarded by mu_
  redisContext* context_ = nullptr;  // the thread's; set and cleared under mu_, so Stop() can shut it down
  std::thread thread_;               // last: starts once the fields it uses exist
};

}  // namespace chat

#endif  // CHAT_SRC_BACKEND_REDIS_REDIS_FEED_H_
