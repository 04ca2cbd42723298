#include "server/calls/send_message_call.h"

#include <spdlog/spdlog.h>

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

void SendMessageCall::Ask() {
  if (env_.busy_gate->Closed(env_.counters->listen_calls.load(std::memory_order_relaxed))) {
    busy_ = true;
    Answered();
    return;
  }
  env_.backend->Post(CallerOf(context_), request_.user().username(), request_.msg(), [this](Result<std::uint64_t> id) {
    id_ = std::move(id);
    Answered();
  });
}

grpc::Status SendMessageCall::Respond() {
  if (busy_) {
    spdlog::debug("SendMessage from {} refused: the server is busy", context_.peer());
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "the server is busy; try again in a moment");
  }
  const Result<std::uint64_t>& id = *id_;
  if (!id.ok()) {
    spdlog::info("SendMessage from {} refused: {}", context_.peer(), id.status().ToString());
    return ToGrpcStatus(id.status());
  }
  response_.set_id(*id);
  return grpc::Status::OK;
}

}  // namespace chat
