#include "backend/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <utility>

#include <fmt/format.h>

namespace chat {
namespace {

timeval ToTimeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return tv;
}

RedisValue ToValue(const redisReply& reply) {
  RedisValue value;
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      value.type = RedisValue::Type::kInteger;
      value.integer = reply.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      value.type = reply.type == REDIS_REPLY_STRING   ? RedisValue::Type::kString
                   : reply.type == REDIS_REPLY_STATUS ? RedisValue::Type::kStatus
                                                      : RedisValue::Type::kError;
      value.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ARRAY:
      value.type = RedisValue::Type::kArray;
      value.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) value.elements.push_back(ToValue(*reply.element[i]));
      break;
    default:
      value.type = RedisValue::Type::kNil;
  }
  return value;
}

bool ParseNumber(std::string_view text, int& number) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  const auto invalid = [url](std::string_view why) {
    return Status(StatusCode::kInvalidArgument, fmt::format("{} is not redis://HOST:PORT[/DB]: {}", url, why));
  };
  if (url.substr(0, kScheme.size()) != kScheme) return invalid("it must begin with redis://");
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint endpoint;
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (!ParseNumber(rest.substr(slash + 1), endpoint.db) || endpoint.db < 0) return invalid("the database is not a number");
    rest = rest.substr(0, slash);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:PORT
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return invalid("an IPv6 address needs its closing ]");
    endpoint.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return invalid("only :PORT may follow the host");
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const std::size_t colon = rest.find(':');
    endpoint.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (endpoint.host.empty()) return invalid("the host is missing");
  if (!port.empty() && (!ParseNumber(port, endpoint.port) || endpoint.port < 1 || endpoint.port > 65535)) {
    return invalid("the port is not a number from 1 to 65535");
  }
  return endpoint;
}

redisContext* ConnectToRedis(const RedisConnectionOptions& options, std::string& why) {
  const RedisEndpoint& endpoint = options.endpoint;
  const timeval timeout = ToTimeval(options.timeout);
  redisContext* context = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, timeout);
  if (context == nullptr || context->err != 0) {
    why = context != nullptr ? fmt::format("cannot connect to {}:{}: {}", endpoint.host, endpoint.port, context->errstr)
                             : "cannot allocate a connection";
    if (context != nullptr) redisFree(context);
    return nullptr;
  }
  redisSetTimeout(context, timeout);
  redisEnableKeepAlive(context);
  // A PING (or SELECT) answered: Redis is there and not stalled, not only its listening socket.
  const std::string select = std::to_string(endpoint.db);
  auto* reply = static_cast<redisReply*>(endpoint.db != 0 ? redisCommand(context, "SELECT %s", select.c_str())
                                                          : redisCommand(context, "PING"));
  if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
    why = reply == nullptr ? fmt::format("{}:{} did not answer: {}", endpoint.host, endpoint.port, context->errstr)
                           : fmt::format("{}:{} refused: {}", endpoint.host, endpoint.port, std::string(reply->str, reply->len));
    if (reply != nullptr) freeReplyObject(reply);
    redisFree(context);
    return nullptr;
  }
  freeReplyObject(reply);
  return context;
}

std::chrono::milliseconds ReconnectBackoff(const RedisConnectionOptions& options, int failures) {
  thread_local std::minstd_rand random{std::random_device{}()};
  const auto doubled = options.min_backoff * (1LL << std::min(failures - 1, 16));
  const auto ceiling = std::min<std::chrono::milliseconds>(doubled, options.max_backoff);
  std::uniform_int_distribution<std::int64_t> draw(ceiling.count() / 2, ceiling.count());
  return std::chrono::milliseconds(draw(random));
}

// hiredis writes with write(2), which raises SIGPIPE on a socket whose peer, or Stop(), closed it,
// and SIGPIPE's default ends the process. Blocked on this thread only (a library leaves the
// process's dispositions alone), the signal stays pending and the write fails with EPIPE, which is
// handled like any failed write.
void BlockSigpipeOnThisThread() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
}

Status StoreUnreachable(std::string_view why) {
  return Status(StatusCode::kUnavailable, fmt::format("{}: {}", kStoreUnreachable, why));
}

RedisConnection::RedisConnection(RedisConnectionOptions options)
    : options_(std::move(options)), thread_([this] { Loop(); }) {}

RedisConnection::~RedisConnection() { Stop(); }

void RedisConnection::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (context_ != nullptr) shutdown(context_->fd, SHUT_RDWR);
  }
  wake_.notify_all();
  thread_.join();
  Disconnect();
  std::deque<Command> refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    refused.swap(waiting_);
  }
  for (Command& command : refused) command.done(StoreUnreachable("the connection is closing"));
}

void RedisConnection::Send(std::vector<std::string> argv, Callback done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      waiting_.push_back(Command{std::move(argv), std::move(done)});
      wake_.notify_all();
      return;
    }
  }
  done(StoreUnreachable("the connection is closing"));
}

bool RedisConnection::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_;
}

void RedisConnection::Loop() {
  BlockSigpipeOnThisThread();
  int failures = 0;
  std::string why;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (context_ == nullptr) {
      lock.unlock();
      const bool made = Connect(why);
      lock.lock();
      connected_ = made;
      if (!made) {
        // Down: whatever waits, and whatever comes until the next attempt, is answered at once. A
        // callback may send again at once; the attempt still comes at retry_at.
        const auto retry_at = std::chrono::steady_clock::now() + ReconnectBackoff(options_, ++failures);
        while (!stopping_) {
          std::deque<Command> refused;
          refused.swap(waiting_);
          lock.unlock();
          for (Command& command : refused) command.done(StoreUnreachable(why));
          lock.lock();
          if (std::chrono::steady_clock::now() >= retry_at) break;
          wake_.wait_until(lock, retry_at, [this] { return stopping_ || !waiting_.empty(); });
        }
        continue;
      }
      failures = 0;
    }
    wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    if (stopping_) break;
    std::deque<Command> batch;
    batch.swap(waiting_);
    lock.unlock();
    Run(batch);
    lock.lock();
  }
}

bool RedisConnection::Connect(std::string& why) {
  redisContext* context = ConnectToRedis(options_, why);
  if (context == nullptr) return false;
  std::lock_guard<std::mutex> lock(mu_);
  context_ = context;
  return true;
}

bool RedisConnection::Run(std::deque<Command>& batch) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const Command& command : batch) {
    argv.clear();
    lengths.clear();
    for (const std::string& argument : command.argv) {
      argv.push_back(argument.data());
      lengths.push_back(argument.size());
    }
    redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data());
  }
  std::size_t answered = 0;
  for (; answered < batch.size(); ++answered) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) break;
    auto* reply = static_cast<redisReply*>(raw);
    RedisValue value = ToValue(*reply);
    freeReplyObject(reply);
    batch[answered].done(std::move(value));
  }
  if (answered == batch.size()) return true;
  const std::string why = fmt::format("no answer from {}:{} ({})", options_.endpoint.host, options_.endpoint.port,
                                      context_->errstr);
  Disconnect();
  {
    std::lock_guard<std::mutex> lock(mu_);  // before the answers, which may look at connected()
    connected_ = false;
  }
  for (std::size_t i = answered; i < batch.size(); ++i) batch[i].done(StoreUnreachable(why));
  return false;
}

void RedisConnection::Disconnect() {
  std::lock_guard<std::mutex> lock(mu_);
  if (context_ == nullptr) return;
  redisFree(context_);
  context_ = nullptr;
}

}  // namespace chat
