#include "server/calls/leave_call.h"

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

grpc::Status LeaveCall::Handle() {
  const Result<std::string> goodbye = env_.room->Leave(CallerOf(context_));
  if (!goodbye.ok()) return ToGrpcStatus(goodbye.status());
  response_.set_msg(*goodbye);
  return grpc::Status::OK;
}

}  // namespace chat
