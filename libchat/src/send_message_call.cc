#include "send_message_call.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "wire.h"

namespace chat {

namespace {

// True when the streams' queues together hold more than a quarter of what they may: the server
// writes slower than it accepts, and every stream is falling behind, not one slow client. Then a
// new message is refused rather than accepted and left to overflow the queues of healthy streams
// (which would be evicted). Never less than two full queues, so that one stalled stream, which the
// room evicts, cannot trigger it on its own.
bool Overloaded(const CallEnvironment& env) {
  const auto limit = static_cast<std::int64_t>(env.options->max_queued_messages);
  const auto streams = static_cast<std::int64_t>(env.counters->listen_calls.load(std::memory_order_relaxed));
  return env.counters->queued.load(std::memory_order_relaxed) > std::max(streams * limit / 4, 2 * limit);
}

}  // namespace

grpc::Status SendMessageCall::Handle() {
  if (Overloaded(env_)) {
    spdlog::debug("SendMessage from {} refused: the server is busy", context_.peer());
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "the server is busy; try again in a moment");
  }
  const Result<std::uint64_t> id = env_.room->Post(context_.peer(), request_.user().username(), request_.msg());
  if (!id.ok()) {
    spdlog::info("SendMessage from {} refused: {}", context_.peer(), id.status().ToString());
    return ToGrpcStatus(id.status());
  }
  response_.set_id(*id);
  return grpc::Status::OK;
}

}  // namespace chat
