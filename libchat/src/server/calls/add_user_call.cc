#include "server/calls/add_user_call.h"

#include <spdlog/spdlog.h>

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

grpc::Status AddUserCall::Handle() {
  const Caller caller = CallerOf(context_);
  const Result<Registration> registration = env_.room->Register(caller, request_.username());
  if (!registration.ok()) return ToGrpcStatus(registration.status());
  if (registration->code != RegistrationCode::kAdded) {
    spdlog::debug("AddUser from {}: {}", caller.peer, registration->message);
  }
  env_.metrics->RecordRegistration(registration->code);
  response_.set_code(static_cast<MessageResponse::Code>(registration->code));
  response_.set_msg(registration->message);
  response_.set_session(registration->session);
  return grpc::Status::OK;
}

}  // namespace chat
