// The room's one order, kept in Redis and shared by every node: a stream of entries under
// PREFIX:log, whose ids come from the counter PREFIX:next-id.
//
// Append() gives an entry the next id and stores it in one atomic step (a Lua script), so ids are
// unique and increasing across all nodes, and answers only once the entry is stored. Each node
// passes the highest id it has read (its floor): the script never hands out an id at or below it,
// so an id is not given twice even when Redis came back from a snapshot older than what the node
// has read. The stream keeps about max_entries entries (XADD MAXLEN ~).
//
// A counter that Redis lost (or never had) starts again from Redis's clock in microseconds, so a
// node whose floor is behind another's does not take ids the other has read either
// (redis_log.cc).
//
// Follow() hands over the log in id order from a given id on. The append script also publishes
// each entry ("ID PAYLOAD") on the channel LogChannel(), to which every node subscribes
// (redis_feed.h): an entry reaches the nodes in the write that stores it, and no node sends Redis
// a command per entry to read it. What the channel cannot give, the stream does: after each
// (re)subscription, and whenever an entry comes that is not the next one, the log reads the stream
// from the last id it handed over (XREAD, on a connection of its own), and again if an entry was
// published while that read was under way. So nothing stored is skipped: an entry stored while the
// node was subscribed is published to it, and one stored before is read. Entries already trimmed
// away are reported as a gap. When Redis is unreachable the feed and the reads keep trying, with
// the connections' backoff.
//
// Threading: every method may be called from any thread. The callbacks run on the threads of the
// feed or of the reading connection, one at a time (under follow_mu_, in id order), and must not
// block or call into the log.
#ifndef CHAT_SRC_BACKEND_REDIS_REDIS_LOG_H_
#define CHAT_SRC_BACKEND_REDIS_REDIS_LOG_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "backend/redis/redis_connection.h"
#include "backend/redis/redis_feed.h"
#include "chat/status.h"

namespace chat {

struct RedisLogOptions {
  RedisEndpoint endpoint;
  std::string prefix = "chat";
  std::size_t max_entries = 10000;
  // How long the channel may stay quiet before the node asks Redis whether it is still there
  // (PING); an idle node asks once per wait, and takes a Redis that does not answer within the
  // connection's timeout as unreachable.
  std::chrono::milliseconds read_wait{2000};
  RedisConnectionOptions connection;  // its endpoint is set from `endpoint`
};

struct RedisLogEntry {
  std::uint64_t id = 0;
  std::string payload;
};

// The channel on which the log of `prefix` in Redis's database `database` is published:
// PREFIX:log@DATABASE.
std::string LogChannel(std::string_view prefix, int database);

class RedisLog {
 public:
  // What Follow() hands over: the entries after the last ones, in id order; `gap` when entries
  // between them were trimmed from the log before they could be read.
  using EntriesHandler = std::function<void(std::vector<RedisLogEntry> entries, bool gap)>;
  // Told whenever a read fails (UNAVAILABLE) or succeeds again after failing (OK).
  using HealthHandler = std::function<void(const Status& status)>;

  explicit RedisLog(RedisLogOptions options);
  ~RedisLog();

  RedisLog(const RedisLog&) = delete;
  RedisLog& operator=(const RedisLog&) = delete;

  // Stores `payload` under the next id, which `done` receives; UNAVAILABLE when Redis cannot be
  // reached or did not answer in time (the entry may or may not be stored then).
  void Append(std::string payload, std::function<void(Result<std::uint64_t>)> done);

  // Runs the Lua script `body` on the writing connection, in order with the appends. The script
  // may call append(payload), which stores an entry as Append does and returns its id; the
  // script's KEYS are the log's two and then `keys`, its ARGV two of the log's and then `args`
  // (so its own begin at KEYS[3] and ARGV[3]). The script text is sent with every call. A caller
  // that learns an id from the reply passes it to RaiseFloor.
  void Run(std::string_view body, std::vector<std::string> keys, std::vector<std::string> args,
           RedisConnection::Callback done);

  // Starts reading every entry after `after_id`. Once only.
  void Follow(std::uint64_t after_id, EntriesHandler on_entries, HealthHandler on_health);

  // The highest id read or appended here: the floor Append passes.
  std::uint64_t floor() const { return floor_.load(std::memory_order_relaxed); }
  void RaiseFloor(std::uint64_t id);

  // Stops both connections (RedisConnection::Stop): what waits is answered UNAVAILABLE, on the
  // calling thread, and nothing is handed over any more. Not from a callback of the log.
  void Stop();

 private:
  // The feed's handlers.
  void OnSubscribed();
  void OnPublished(std::string message);
  void OnFeedLost(const Status& status);
  // Reads the stream after last_read_, and what it answers.
  void ReadStream();
  void OnStreamRead(Result<RedisValue> reply);
  // Starts a read of the stream unless one is under way, in which case it reads once more after
  // it; whether the caller is to call ReadStream() (after releasing follow_mu_).
  bool WantStreamReadLocked();
  // Hands over `entries` (in id order) that come after last_read_.
  void HandOverLocked(std::vector<RedisLogEntry> entries);
  void ReportHealthLocked(const Status& status);

  const RedisLogOptions options_;
  const std::string log_key_;
  const std::string counter_key_;
  const std::string append_function_;  // the Lua function every script sent begins with
  std::atomic<std::uint64_t> floor_{0};
  std::atomic<bool> stopping_{false};

  // The methods named ...Locked are called with it held.
  std::mutex follow_mu_;
  std::uint64_t last_read_ = 0;  // guarded by follow_mu_, as are the four below
  bool subscribed_ = false;
  bool reading_ = false;         // a read of the stream is under way
  bool read_again_ = false;      // and another is wanted after it
  bool failing_ = false;         // UNAVAILABLE was the last health told
  EntriesHandler on_entries_;  // set by Follow() before the feed starts
  HealthHandler on_health_;

  // Last, so that their threads stop (and answer what waits) before the fields above go.
  std::unique_ptr<RedisConnection> writer_;
  std::unique_ptr<RedisConnection> reader_;
  std::unique_ptr<RedisFeed> feed_;
};

}  // namespace chat

#endif  // CHAT_SRC_BACKEND_REDIS_REDIS_LOG_H_
