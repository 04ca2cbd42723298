#ifndef CHAT_SRC_SERVER_CALLS_SEND_MESSAGE_CALL_H_
#define CHAT_SRC_SERVER_CALLS_SEND_MESSAGE_CALL_H_

#include <cstdint>
#include <optional>

#include "server/unary_call.h"

namespace chat {

// SendMessage: hands the text to the backend, which checks it, gives it its place in the room's
// order and answers with its id once it is stored; the in-memory backend has also queued it for
// every subscriber by then. While the server is busy (busy_gate.h) it is refused without asking.
class SendMessageCall final
    : public UnaryCall<SendMessageCall, Message, MessageResponse, &ChatService::RequestSendMessage, Rpc::kSendMessage> {
 private:
  friend UnaryCall;
  using UnaryCall::UnaryCall;

  void Ask();
  grpc::Status Respond();

  bool busy_ = false;  // refused by the busy gate, without asking the backend
  std::optional<Result<std::uint64_t>> id_;  // the backend's answer
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_SEND_MESSAGE_CALL_H_
