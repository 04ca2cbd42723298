// One connection to Redis, on a thread of its own: commands handed over from any thread are sent
// in order, pipelined (everything waiting goes in one write), and each reply is handed to its
// command's callback on the connection's thread. Nothing that waits for Redis runs anywhere else.
//
// When Redis cannot be reached, or does not answer a command within `timeout`, the command and
// every one behind it are answered UNAVAILABLE ("the room's store is unreachable: ..."), the
// connection is dropped, and it is made again after a backoff that doubles from min_backoff up to
// max_backoff, each wait drawn at random between half and all of it (so that nodes that lost Redis
// together do not come back together). While it is down, commands are answered UNAVAILABLE at once.
// A command whose reply did not come may or may not have been carried out by Redis.
#ifndef CHAT_SRC_BACKEND_REDIS_REDIS_CONNECTION_H_
#define CHAT_SRC_BACKEND_REDIS_REDIS_CONNECTION_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "chat/status.h"

struct redisContext;

namespace chat {

// Where Redis is: redis://HOST:PORT[/DB].
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
};

// Parses redis://HOST:PORT[/DB] (the port may be left out: 6379; HOST may be [IPv6]).
// INVALID_ARGUMENT with a sentence saying what is wrong.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

// A reply, copied out of hiredis's.
struct RedisValue {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  std::int64_t integer = 0;
  std::string text;  // kString, kStatus, kError
  std::vector<RedisValue> elements;  // kArray
};

// The message every UNAVAILABLE of the store begins with.
inline constexpr std::string_view kStoreUnreachable = "the room's store is unreachable";

struct RedisConnectionOptions {
  RedisEndpoint endpoint;
  // For connecting, and for each reply.
  std::chrono::milliseconds timeout{500};
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
};

// What RedisConnection and RedisFeed (redis_feed.h) share:

// Connects to options.endpoint within options.timeout, which then bounds each read and write on the
// socket, turns TCP keepalive on, and checks that Redis answers (PING, or SELECT of the url's
// database). nullptr, with the reason in `why`, when it cannot.
redisContext* ConnectToRedis(const RedisConnectionOptions& options, std::string& why);
// The wait before reconnecting after `failures` (1, 2, ...) failed attempts in a row.
std::chrono::milliseconds ReconnectBackoff(const RedisConnectionOptions& options, int failures);
// For a thread that writes to Redis: a write to a closed socket fails with EPIPE instead of ending
// the process.
void BlockSigpipeOnThisThread();
// UNAVAILABLE "the room's store is unreachable: WHY".
Status StoreUnreachable(std::string_view why);

class RedisConnection {
 public:
  // Called on the connection's thread with the reply (an error reply is a value of Type::kError),
  // or UNAVAILABLE. Must not block; it may Send (which only queues).
  using Callback = std::function<void(Result<RedisValue>)>;

  // Starts the thread, which connects at once.
  explicit RedisConnection(RedisConnectionOptions options);
  // Stop().
  ~RedisConnection();

  // Ends a command in flight at once (its socket is shut down, so a blocking read such as XREAD
  // BLOCK returns), joins the thread, then answers every command still waiting UNAVAILABLE, on
  // the calling thread. Afterwards Send answers UNAVAILABLE at once, on the calling thread. Not
  // from a callback of this connection.
  void Stop();

  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Queues the command `argv` (binary-safe); never blocks.
  void Send(std::vector<std::string> argv, Callback done);

  // Whether the last attempt to reach Redis succeeded and no command has failed since.
  bool connected() const;

 private:
  struct Command {
    std::vector<std::string> argv;
    Callback done;
  };

  void Loop();
  // Connects (and selects the database); false, with the reason in `why`, when it cannot.
  bool Connect(std::string& why);
  // Sends `batch` and reads its replies, answering each; false once the connection failed.
  bool Run(std::deque<Command>& batch);
  void Disconnect();

  const RedisConnectionOptions options_;
  // The thread's only; made and freed under mu_, so that the destructor can shut its socket down.
  redisContext* context_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Command> waiting_;  // guarded by mu_
  bool connected_ = false;       // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  std::thread thread_;           // last: starts once the fields it uses exist
};

}  // namespace chat

#endif  // CHAT_SRC_BACKEND_REDIS_REDIS_CONNECTION_H_
