#ifndef CHAT_SRC_SERVER_CALLS_LIST_USERS_CALL_H_
#define CHAT_SRC_SERVER_CALLS_LIST_USERS_CALL_H_

#include <optional>
#include <string>
#include <vector>

#include "server/unary_call.h"

namespace chat {

// ListUsers: the registered names, sorted ignoring case. Needs no registration.
class ListUsersCall final
    : public UnaryCall<ListUsersCall, ListUsersRequest, UserList, &ChatService::RequestListUsers, Rpc::kListUsers> {
 private:
  friend UnaryCall;
  using UnaryCall::UnaryCall;

  void Ask();
  grpc::Status Respond();

  std::optional<Result<std::vector<std::string>>> names_;  // the backend's answer
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_LIST_USERS_CALL_H_
