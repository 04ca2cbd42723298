#include "backend/redis/redis_log.h"

#include <charconv>
#include <string_view>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace chat {
namespace {

// The first two KEYS of every script Run() sends are the counter and the log, and the first two
// ARGV the caller's floor and the log's length; append(payload) gives `payload` the next id and
// stores it. INCR and XADD in one script, so that no other node's entry comes between taking an id
// and storing under it; ids are formatted with %d, since Lua's own number format would write
// 1.7643e+15.
//
// A counter that does not exist (a new room, or a Redis that lost it) starts from Redis's clock in
// microseconds since the epoch, as a chat-server's own room does (server.cc): above every id given
// before, as long as the room took fewer than a million messages a second on average and the clock
// was not set back. So no node gives an id another has read, even one whose floor is behind.
constexpr std::string_view kAppendFunction = R"lua(
local function append(payload)
  local id = redis.call('INCR', KEYS[1])
  local set = false
  if id == 1 then
    local time = redis.call('TIME')
    id = tonumber(time[1]) * 1000000 + tonumber(time[2])
    set = true
  end
  local floor = tonumber(ARGV[1])
  if id <= floor then
    id = floor + 1
    set = true
  end
  if set then redis.call('SET', KEYS[1], string.format('%d', id)) end
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], string.format('%d-0', id), 'p', payload)
  redis.call('PUBLISH', KEYS[2] .. '@DATABASE', string.format('%d ', id) .. payload)
  return id
end
)lua";

// kAppendFunction, publishing on the channel of the log in `database`.
std::string AppendFunction(int database) {
  std::string function(kAppendFunction);
  constexpr std::string_view kMarker = "DATABASE";
  function.replace(function.find(kMarker), kMarker.size(), std::to_string(database));
  return function;
}

// The number that `text` begins with and that ends at `end`; 0 if there is none.
std::uint64_t IdBefore(std::string_view text, std::size_t end) {
  std::uint64_t id = 0;
  const auto [last, error] = std::from_chars(text.data(), text.data() + end, id);
  return error == std::errc() && last == text.data() + end ? id : 0;
}

// The message id of a stream entry id "ID-0"; 0 if it is not one.
std::uint64_t IdOfEntry(std::string_view entry) {
  const std::size_t dash = entry.size() >= 2 ? entry.size() - 2 : 0;
  return entry.substr(dash) == "-0" ? IdBefore(entry, dash) : 0;
}

// Entries one read of the stream asks for at most.
constexpr std::size_t kReadCount = 1000;

Status Malformed(std::string_view what) {
  return Status(StatusCode::kInternal, fmt::format("the room's store answered something unexpected: {}", what));
}

}  // namespace

std::string LogChannel(std::string_view prefix, int database) { return fmt::format("{}:log@{}", prefix, database); }

RedisLog::RedisLog(RedisLogOptions options)
    : options_(std::move(options)),
      log_key_(options_.prefix + ":log"),
      counter_key_(options_.prefix + ":next-id"),
      append_function_(AppendFunction(options_.endpoint.db)) {
  RedisConnectionOptions writing = options_.connection;
  writing.endpoint = options_.endpoint;
  writer_ = std::make_unique<RedisConnection>(writing);
}

// Stopped, not reset: a read's answer may still call ReadStream(), which needs reader_ to be there.
RedisLog::~RedisLog() { Stop(); }

void RedisLog::Stop() {
  stopping_.store(true, std::memory_order_relaxed);
  if (feed_ != nullptr) feed_->Stop();
  if (reader_ != nullptr) reader_->Stop();
  writer_->Stop();
}

void RedisLog::Append(std::string payload, std::function<void(Result<std::uint64_t>)> done) {
  Run("return append(ARGV[3])", {}, {std::move(payload)}, [this, done = std::move(done)](Result<RedisValue> reply) {
    if (!reply.ok()) return done(reply.status());
    if (reply->type != RedisValue::Type::kInteger || reply->integer <= 0) {
      return done(Malformed(reply->type == RedisValue::Type::kError ? reply->text : "no id"));
    }
    const auto id = static_cast<std::uint64_t>(reply->integer);
    RaiseFloor(id);
    done(id);
  });
}

void RedisLog::Run(std::string_view body, std::vector<std::string> keys, std::vector<std::string> args,
                   RedisConnection::Callback done) {
  std::vector<std::string> argv{"EVAL", fmt::format("{}{}", append_function_, body), std::to_string(keys.size() + 2),
                                counter_key_, log_key_};
  argv.reserve(argv.size() + keys.size() + args.size() + 2);
  for (std::string& key : keys) argv.push_back(std::move(key));
  argv.push_back(std::to_string(floor()));
  argv.push_back(std::to_string(options_.max_entries));
  for (std::string& arg : args) argv.push_back(std::move(arg));
  writer_->Send(std::move(argv), std::move(done));
}

void RedisLog::Follow(std::uint64_t after_id, EntriesHandler on_entries, HealthHandler on_health) {
  {
    std::lock_guard<std::mutex> lock(follow_mu_);
    last_read_ = after_id;
  }
  RaiseFloor(after_id);
  on_entries_ = std::move(on_entries);
  on_health_ = std::move(on_health);
  RedisConnectionOptions connection = options_.connection;
  connection.endpoint = options_.endpoint;
  reader_ = std::make_unique<RedisConnection>(connection);
  feed_ = std::make_unique<RedisFeed>(connection, LogChannel(options_.prefix, options_.endpoint.db), options_.read_wait,
                                      RedisFeedHandlers{[this] { OnSubscribed(); },
                                                        [this](std::string message) { OnPublished(std::move(message)); },
                                                        [this](const Status& status) { OnFeedLost(status); }});
}

// On the feed's thread: what was stored before the subscription is read from the stream.
void RedisLog::OnSubscribed() {
  bool read = false;
  {
    std::lock_guard<std::mutex> lock(follow_mu_);
    subscribed_ = true;
    read = WantStreamReadLocked();
  }
  if (read) ReadStream();
}

// On the feed's thread.
void RedisLog::OnFeedLost(const Status& status) {
  std::lock_guard<std::mutex> lock(follow_mu_);
  subscribed_ = false;
  ReportHealthLocked(status);
}

// On the feed's thread. The next entry is handed over at once; one after a gap in what was
// published, or published while the stream is being read, is read from the stream.
void RedisLog::OnPublished(std::string message) {
  const std::size_t space = message.find(' ');
  const std::uint64_t id = space == std::string::npos ? 0 : IdBefore(message, space);
  if (id == 0) return;  // not an entry: the stream has them all anyway
  bool read = false;
  {
    std::lock_guard<std::mutex> lock(follow_mu_);
    if (id <= last_read_) return;
    if (!reading_ && id == last_read_ + 1) {
      message.erase(0, space + 1);  // the payload, without a copy
      std::vector<RedisLogEntry> entries;
      entries.push_back(RedisLogEntry{id, std::move(message)});
      HandOverLocked(std::move(entries));
      return;
    }
    read = WantStreamReadLocked();
  }
  if (read) ReadStream();
}

bool RedisLog::WantStreamReadLocked() {
  if (reading_) {
    read_again_ = true;
    return false;
  }
  reading_ = true;
  return true;
}

void RedisLog::ReadStream() {
  std::uint64_t after = 0;
  {
    std::lock_guard<std::mutex> lock(follow_mu_);
    after = last_read_;
  }
  reader_->Send({"XREAD", "COUNT", std::to_string(kReadCount), "STREAMS", log_key_, fmt::format("{}-0", after)},
                [this](Result<RedisValue> reply) { OnStreamRead(std::move(reply)); });
}

// On reader_'s thread (or the stopping thread's).
void RedisLog::OnStreamRead(Result<RedisValue> reply) {
  if (stopping_.load(std::memory_order_relaxed)) return;
  if (!reply.ok() || reply->type == RedisValue::Type::kError) {
    {
      std::lock_guard<std::mutex> lock(follow_mu_);
      ReportHealthLocked(reply.ok() ? Malformed(reply->text) : reply.status());
    }
    // While Redis is down the connection answers at once; the next read waits one backoff step
    // here, on the reader's own thread, instead of spinning.
    std::this_thread::sleep_for(options_.connection.min_backoff);
    if (!stopping_.load(std::memory_order_relaxed)) ReadStream();
    return;
  }
  // nil: nothing after last_read_. Otherwise [[log, [[entry id, [field, value]], ...]]].
  std::vector<RedisLogEntry> entries;
  std::size_t answered = 0;
  if (reply->type == RedisValue::Type::kArray && !reply->elements.empty()) {
    RedisValue& stream = reply->elements.front();
    if (stream.elements.size() == 2) {
      answered = stream.elements[1].elements.size();
      for (RedisValue& entry : stream.elements[1].elements) {
        if (entry.elements.size() != 2 || entry.elements[1].elements.size() != 2) continue;
        const std::uint64_t id = IdOfEntry(entry.elements[0].text);
        if (id != 0) entries.push_back(RedisLogEntry{id, std::move(entry.elements[1].elements[1].text)});
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(follow_mu_);
    HandOverLocked(std::move(entries));
    // More to read: the answer was full, or an entry was published while it was read (and may
    // have been stored after the read).
    if (answered < kReadCount && !read_again_) {
      reading_ = false;
      if (subscribed_) ReportHealthLocked(Status());
      return;
    }
    read_again_ = false;
  }
  ReadStream();
}

void RedisLog::HandOverLocked(std::vector<RedisLogEntry> entries) {
  bool gap = false;
  std::vector<RedisLogEntry> after;
  after.reserve(entries.size());
  for (RedisLogEntry& entry : entries) {
    if (entry.id <= last_read_) continue;  // already handed over
    if (last_read_ != 0 && entry.id != last_read_ + 1) gap = true;
    last_read_ = entry.id;
    after.push_back(std::move(entry));
  }
  if (after.empty()) return;
  RaiseFloor(last_read_);
  on_entries_(std::move(after), gap);
}

void RedisLog::ReportHealthLocked(const Status& status) {
  if (status.ok() == !failing_) return;
  failing_ = !status.ok();
  on_health_(status);
}

void RedisLog::RaiseFloor(std::uint64_t id) {
  std::uint64_t seen = floor_.load(std::memory_order_relaxed);
  while (seen < id && !floor_.compare_exchange_weak(seen, id, std::memory_order_relaxed)) {
  }
}

}  // namespace chat
