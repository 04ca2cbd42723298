// Conversions between libchat's plain types and the generated wire types of chat.proto.
#ifndef CHAT_SRC_WIRE_WIRE_H_
#define CHAT_SRC_WIRE_WIRE_H_

#include <memory>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_writer.h>
#include <grpcpp/support/status.h>

#include "chat.pb.h"
#include "chat/message.h"
#include "chat/status.h"

namespace chat {

// Overwrites every field of `out` (so one Message can be reused for many writes).
void ToWire(const ChatMessage& message, Message* out);
ChatMessage FromWire(const Message& message);

// A chat.Message encoded once for every Listen and Subscribe stream that sends it. Its bytes sit in
// one reference-counted slice, so a stream's write takes a reference to them, never a copy.
class WireMessage final {
 public:
  explicit WireMessage(const ChatMessage& message);

  // A buffer for one Write. Safe from any thread: it only adds a reference to the slice.
  grpc::ByteBuffer Buffer() const { return grpc::ByteBuffer(&bytes_, 1); }
  // The encoded message, for a batch of several (wire_batch.h). Copying the slice adds a reference.
  const grpc::Slice& bytes() const { return bytes_; }

 private:
  const grpc::Slice bytes_;
};

// `message` as a WireMessage (RoomOptions::encode).
std::shared_ptr<const WireMessage> EncodeForWire(const ChatMessage& message);

// Parses a request as the server reads every request. INVALID_ARGUMENT when `bytes` is not a valid
// message of the request's type: malformed, or with a string that is not UTF-8 (proto3 requires it).
grpc::Status ParseRequest(grpc::ByteBuffer* bytes, google::protobuf::MessageLite* request);

template <class ProtoMessage>
grpc::ByteBuffer Serialize(const ProtoMessage& message) {
  grpc::ByteBuffer buffer;
  bool own_buffer = false;
  grpc::SerializationTraits<ProtoMessage>::Serialize(message, &buffer, &own_buffer);
  return buffer;
}

grpc::Status ToGrpcStatus(const Status& status);
Status FromGrpcStatus(const grpc::Status& status);

}  // namespace chat

#endif  // CHAT_SRC_WIRE_WIRE_H_
