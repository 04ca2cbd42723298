#include "backend/redis/redis_feed.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace chat {
namespace {

std::string_view Text(const redisReply& reply) { return std::string_view(reply.str, reply.len); }

// A subscriber's reply is [kind, ...]: "message" (with the channel and the message), "subscribe",
// or "pong" (a PING's answer while subscribed).
bool IsKind(const redisReply& reply, std::string_view kind) {
  return reply.type == REDIS_REPLY_ARRAY && reply.elements >= 1 && reply.element[0]->type == REDIS_REPLY_STRING &&
         Text(*reply.element[0]) == kind;
}

}  // namespace

RedisFeed::RedisFeed(RedisConnectionOptions options, std::string channel, std::chrono::milliseconds quiet,
                     RedisFeedHandlers handlers)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      quiet_(quiet),
      handlers_(std::move(handlers)),
      thread_([this] { Loop(); }) {}

RedisFeed::~RedisFeed() { Stop(); }

void RedisFeed::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (context_ != nullptr) shutdown(context_->fd, SHUT_RDWR);
  }
  wake_.notify_all();
  thread_.join();
}

void RedisFeed::Loop() {
  BlockSigpipeOnThisThread();
  int failures = 0;
  std::string why;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    redisContext* context = ConnectToRedis(options_, why);
    lock.lock();
    if (context != nullptr) {
      context_ = context;
      if (!stopping_) {
        lock.unlock();
        // Once subscribed, the next attempt waits the shortest backoff again.
        if (Listen(why)) failures = 0;
        lock.lock();
      }
      context_ = nullptr;
      redisFree(context);
    }
    if (stopping_) break;
    lock.unlock();
    handlers_.on_lost(StoreUnreachable(why));
    lock.lock();
    const auto retry_at = std::chrono::steady_clock::now() + ReconnectBackoff(options_, ++failures);
    wake_.wait_until(lock, retry_at, [this] { return stopping_; });
  }
}

bool RedisFeed::Listen(std::string& why) {
  redisContext* context = context_;  // set before this call and cleared after it, by this thread
  bool subscribed = false;
  const auto lost = [&](std::string_view what, std::string_view detail = {}) {
    if (detail.empty() && context->err != 0) detail = context->errstr;
    why = detail.empty() ? fmt::format("{} {}:{}", what, options_.endpoint.host, options_.endpoint.port)
                         : fmt::format("{} {}:{} ({})", what, options_.endpoint.host, options_.endpoint.port, detail);
    return subscribed;
  };
  auto* answer = static_cast<redisReply*>(redisCommand(context, "SUBSCRIBE %b", channel_.data(), channel_.size()));
  subscribed = answer != nullptr && IsKind(*answer, "subscribe");
  const std::string refusal = answer != nullptr && answer->type == REDIS_REPLY_ERROR ? std::string(Text(*answer)) : "";
  if (answer != nullptr) freeReplyObject(answer);
  if (!subscribed) return lost("cannot subscribe at", refusal);
  handlers_.on_subscribed();

  bool pinged = false;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context, &raw) != REDIS_OK) return lost("unreadable answer from");
    if (raw == nullptr) {  // nothing buffered: wait for the socket
      pollfd socket{context->fd, POLLIN, 0};
      const auto wait = pinged ? options_.timeout : quiet_;
      const int ready = poll(&socket, 1, static_cast<int>(wait.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return lost("cannot wait for");
      if (ready == 0) {
        if (pinged) return lost("no answer to PING from");
        // Quiet for `quiet_`: ask whether Redis is still there.
        redisAppendCommand(context, "PING");
        int done = 0;
        while (done == 0) {
          if (redisBufferWrite(context, &done) != REDIS_OK) return lost("cannot write to");
        }
        pinged = true;
        continue;
      }
      if (redisBufferRead(context) != REDIS_OK) return lost("connection closed by");
      continue;
    }
    auto* reply = static_cast<redisReply*>(raw);
    pinged = false;  // anything that comes shows Redis is there
    if (IsKind(*reply, "message") && reply->elements == 3 && reply->element[2]->type == REDIS_REPLY_STRING) {
      std::string message(Text(*reply->element[2]));
      freeReplyObject(reply);
      handlers_.on_message(std::move(message));
    } else {
      freeReplyObject(reply);
    }
  }
}

}  // namespace chat
