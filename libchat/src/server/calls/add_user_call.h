#ifndef CHAT_SRC_SERVER_CALLS_ADD_USER_CALL_H_
#define CHAT_SRC_SERVER_CALLS_ADD_USER_CALL_H_

#include <optional>

#include "server/unary_call.h"

namespace chat {

// AddUser: binds a name to the caller (its session, or its connection) and answers with the
// session's token. Always answers OK with ADDED, TAKEN or INVALID
// (workshop clients re-prompt on anything but ADDED and treat an RPC error as fatal), except when
// the server is full (RESOURCE_EXHAUSTED) or shutting down (UNAVAILABLE).
class AddUserCall final
    : public UnaryCall<AddUserCall, User, MessageResponse, &ChatService::RequestAddUser, Rpc::kAddUser> {
 private:
  friend UnaryCall;
  using UnaryCall::UnaryCall;

  void Ask();
  grpc::Status Respond();

  std::optional<Result<Registration>> registration_;  // the backend's answer
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_ADD_USER_CALL_H_
