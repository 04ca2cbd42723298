#include "list_users_call.h"

namespace chat {

grpc::Status ListUsersCall::Handle() {
  for (const std::string& name : env_.room->Usernames()) response_.add_users()->set_username(name);
  return grpc::Status::OK;
}

}  // namespace chat
