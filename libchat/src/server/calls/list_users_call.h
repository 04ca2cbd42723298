#ifndef CHAT_SRC_SERVER_CALLS_LIST_USERS_CALL_H_
#define CHAT_SRC_SERVER_CALLS_LIST_USERS_CALL_H_

#include "server/unary_call.h"

namespace chat {

// ListUsers: the registered names, sorted ignoring case. Needs no registration.
class ListUsersCall final
    : public UnaryCall<ListUsersCall, ListUsersRequest, UserList, &ChatService::RequestListUsers, Rpc::kListUsers> {
 private:
  friend UnaryCall;
  using UnaryCall::UnaryCall;

  grpc::Status Handle();
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_LIST_USERS_CALL_H_
