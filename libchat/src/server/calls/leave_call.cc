#include "server/calls/leave_call.h"

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

void LeaveCall::Ask() {
  env_.backend->Leave(CallerOf(context_), [this](Result<std::string> goodbye) {
    goodbye_ = std::move(goodbye);
    Answered();
  });
}

grpc::Status LeaveCall::Respond() {
  if (!goodbye_->ok()) return ToGrpcStatus(goodbye_->status());
  response_.set_msg(**goodbye_);
  return grpc::Status::OK;
}

}  // namespace chat
