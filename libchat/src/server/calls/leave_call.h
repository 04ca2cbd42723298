#ifndef CHAT_SRC_SERVER_CALLS_LEAVE_CALL_H_
#define CHAT_SRC_SERVER_CALLS_LEAVE_CALL_H_

#include <optional>
#include <string>

#include "server/unary_call.h"

namespace chat {

// Leave: frees the caller's name, ends its session and its streams (Room::Leave), and says goodbye.
class LeaveCall final
    : public UnaryCall<LeaveCall, LeaveRequest, MessageResponse, &ChatService::RequestLeave, Rpc::kLeave> {
 private:
  friend UnaryCall;
  using UnaryCall::UnaryCall;

  void Ask();
  grpc::Status Respond();

  std::optional<Result<std::string>> goodbye_;  // the backend's answer
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_LEAVE_CALL_H_
