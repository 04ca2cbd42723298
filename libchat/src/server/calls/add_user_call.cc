#include "server/calls/add_user_call.h"

#include <spdlog/spdlog.h>

#include "wire/wire.h"

namespace chat {

grpc::Status AddUserCall::Handle() {
  const std::string peer = context_.peer();
  const Result<Registration> registration = env_.room->Register(peer, request_.username());
  if (!registration.ok()) return ToGrpcStatus(registration.status());
  if (registration->code != RegistrationCode::kAdded) {
    spdlog::debug("AddUser from {}: {}", peer, registration->message);
  }
  response_.set_code(static_cast<MessageResponse::Code>(registration->code));
  response_.set_msg(registration->message);
  return grpc::Status::OK;
}

}  // namespace chat
