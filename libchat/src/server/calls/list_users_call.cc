#include "server/calls/list_users_call.h"

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

void ListUsersCall::Ask() {
  env_.backend->Usernames(CallerOf(context_), [this](Result<std::vector<std::string>> names) {
    names_ = std::move(names);
    Answered();
  });
}

grpc::Status ListUsersCall::Respond() {
  if (!names_->ok()) return ToGrpcStatus(names_->status());
  for (const std::string& name : **names_) response_.add_users()->set_username(name);
  return grpc::Status::OK;
}

}  // namespace chat
