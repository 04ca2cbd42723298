#include "server/calls/list_users_call.h"

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

grpc::Status ListUsersCall::Handle() {
  if (Status session = env_.room->CheckSession(CallerOf(context_)); !session.ok()) return ToGrpcStatus(session);
  const Result<std::vector<std::string>> names = env_.room->Usernames();
  if (!names.ok()) return ToGrpcStatus(names.status());
  for (const std::string& name : *names) response_.add_users()->set_username(name);
  return grpc::Status::OK;
}

}  // namespace chat
