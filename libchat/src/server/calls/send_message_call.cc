#include "server/calls/send_message_call.h"

#include <spdlog/spdlog.h>

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

grpc::Status SendMessageCall::Handle() {
  const std::string peer = context_.peer();
  if (env_.busy_gate->Closed(env_.counters->listen_calls.load(std::memory_order_relaxed))) {
    spdlog::debug("SendMessage from {} refused: the server is busy", peer);
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "the server is busy; try again in a moment");
  }
  const Result<std::uint64_t> id = env_.room->Post(CallerOf(context_), request_.user().username(), request_.msg());
  if (!id.ok()) {
    spdlog::info("SendMessage from {} refused: {}", peer, id.status().ToString());
    return ToGrpcStatus(id.status());
  }
  response_.set_id(*id);
  return grpc::Status::OK;
}

}  // namespace chat
