#include "server/calls/add_user_call.h"

#include <spdlog/spdlog.h>

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

void AddUserCall::Ask() {
  env_.backend->Register(CallerOf(context_), request_.username(), [this](Result<Registration> registration) {
    registration_ = std::move(registration);
    Answered();
  });
}

grpc::Status AddUserCall::Respond() {
  const Result<Registration>& registration = *registration_;
  if (!registration.ok()) return ToGrpcStatus(registration.status());
  if (registration->code != RegistrationCode::kAdded) {
    spdlog::debug("AddUser from {}: {}", context_.peer(), registration->message);
  }
  env_.metrics->RecordRegistration(registration->code);
  response_.set_code(static_cast<MessageResponse::Code>(registration->code));
  response_.set_msg(registration->message);
  response_.set_session(registration->session);
  return grpc::Status::OK;
}

}  // namespace chat
