#include "server/calls/list_users_call.h"

namespace chat {

grpc::Status ListUsersCall::Handle() {
  const Result<std::vector<std::string>> names = env_.room->Usernames();
  if (!names.ok()) return ToGrpcStatus(names.status());
  for (const std::string& name : *names) response_.add_users()->set_username(name);
  return grpc::Status::OK;
}

}  // namespace chat
