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
  return id
end
)lua";

// The message id of a stream entry id "ID-0"; 0 if it is not one.
std::uint64_t IdOfEntry(std::string_view entry) {
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(entry.data(), entry.data() + entry.size(), id);
  return error == std::errc() && std::string_view(end, entry.data() + entry.size() - end) == "-0" ? id : 0;
}

Status Malformed(std::string_view what) {
  return Status(StatusCode::kInternal, fmt::format("the room's store answered something unexpected: {}", what));
}

}  // namespace

RedisLog::RedisLog(RedisLogOptions options)
    : options_(std::move(options)),
      log_key_(options_.prefix + ":log"),
      counter_key_(options_.prefix + ":next-id") {
  RedisConnectionOptions writing = options_.connection;
  writing.endpoint = options_.endpoint;
  writer_ = std::make_unique<RedisConnection>(writing);
}

// Stopped, not reset: a read's answer may still call Read(), which needs reader_ to be there.
RedisLog::~RedisLog() { Stop(); }

void RedisLog::Stop() {
  stopping_.store(true, std::memory_order_relaxed);
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
  std::vector<std::string> argv{"EVAL", fmt::format("{}{}", kAppendFunction, body), std::to_string(keys.size() + 2),
                                counter_key_, log_key_};
  argv.reserve(argv.size() + keys.size() + args.size() + 2);
  for (std::string& key : keys) argv.push_back(std::move(key));
  argv.push_back(std::to_string(floor()));
  argv.push_back(std::to_string(options_.max_entries));
  for (std::string& arg : args) argv.push_back(std::move(arg));
  writer_->Send(std::move(argv), std::move(done));
}

void RedisLog::Follow(std::uint64_t after_id, EntriesHandler on_entries, HealthHandler on_health) {
  last_read_ = after_id;
  RaiseFloor(after_id);
  on_entries_ = std::move(on_entries);
  on_health_ = std::move(on_health);
  RedisConnectionOptions reading = options_.connection;
  reading.endpoint = options_.endpoint;
  // A read waits read_wait for entries; its answer may take that long, and then the usual timeout.
  reading.timeout += options_.read_wait;
  reader_ = std::make_unique<RedisConnection>(reading);
  Read();
}

void RedisLog::Read() {
  reader_->Send({"XREAD", "COUNT", "1000", "BLOCK", std::to_string(options_.read_wait.count()), "STREAMS", log_key_,
                 fmt::format("{}-0", last_read_)},
                [this](Result<RedisValue> reply) { OnRead(std::move(reply)); });
}

// On reader_'s thread.
void RedisLog::OnRead(Result<RedisValue> reply) {
  if (stopping_.load(std::memory_order_relaxed)) return;
  if (!reply.ok() || reply->type == RedisValue::Type::kError) {
    if (!read_failing_) on_health_(reply.ok() ? Malformed(reply->text) : reply.status());
    read_failing_ = true;
    // While Redis is down the connection answers at once; the next read waits one backoff step
    // here, on the reader's own thread, instead of spinning.
    std::this_thread::sleep_for(options_.connection.min_backoff);
    if (!stopping_.load(std::memory_order_relaxed)) Read();
    return;
  }
  if (read_failing_) {
    read_failing_ = false;
    on_health_(Status());
  }
  // nil: nothing new within read_wait. Otherwise [[log, [[entry id, [field, value]], ...]]].
  std::vector<RedisLogEntry> entries;
  bool gap = false;
  if (reply->type == RedisValue::Type::kArray && !reply->elements.empty()) {
    const RedisValue& stream = reply->elements.front();
    if (stream.elements.size() == 2) {
      for (const RedisValue& entry : stream.elements[1].elements) {
        if (entry.elements.size() != 2 || entry.elements[1].elements.size() != 2) continue;
        const std::uint64_t id = IdOfEntry(entry.elements[0].text);
        if (id <= last_read_) continue;  // not of ours, or already read
        if (last_read_ != 0 && id != last_read_ + 1) gap = true;
        last_read_ = id;
        entries.push_back(RedisLogEntry{id, entry.elements[1].elements[1].text});
      }
    }
  }
  if (!entries.empty()) {
    RaiseFloor(last_read_);
    on_entries_(std::move(entries), gap);
  }
  Read();
}

void RedisLog::RaiseFloor(std::uint64_t id) {
  std::uint64_t seen = floor_.load(std::memory_order_relaxed);
  while (seen < id && !floor_.compare_exchange_weak(seen, id, std::memory_order_relaxed)) {
  }
}

}  // namespace chat
