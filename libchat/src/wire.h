// Conversions between libchat's plain types and the generated wire types of chat.proto.
#ifndef CHAT_SRC_WIRE_H_
#define CHAT_SRC_WIRE_H_

#include <grpcpp/support/status.h>

#include "chat.pb.h"
#include "chat/message.h"
#include "chat/status.h"

namespace chat {

// Overwrites every field of `out` (so one Message can be reused for many writes).
void ToWire(const ChatMessage& message, Message* out);
ChatMessage FromWire(const Message& message);

grpc::Status ToGrpcStatus(const Status& status);
Status FromGrpcStatus(const grpc::Status& status);

}  // namespace chat

#endif  // CHAT_SRC_WIRE_H_
