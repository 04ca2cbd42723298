#ifndef CHAT_SRC_SERVER_CALLS_SEND_MESSAGE_CALL_H_
#define CHAT_SRC_SERVER_CALLS_SEND_MESSAGE_CALL_H_

#include "server/unary_call.h"

namespace chat {

// SendMessage: hands the text to the Room, which checks it, sequences it and fans it out before
// this call answers, so a sender that got its id back knows every subscriber has it queued.
class SendMessageCall final
    : public UnaryCall<SendMessageCall, Message, MessageResponse, &ChatService::RequestSendMessage, Rpc::kSendMessage> {
 private:
  friend UnaryCall;
  using UnaryCall::UnaryCall;

  grpc::Status Handle();
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_SEND_MESSAGE_CALL_H_
