#include "wire/wire.h"

#include <chrono>
#include <cstdint>

#include <fmt/format.h>
#include <grpcpp/support/proto_buffer_reader.h>

namespace chat {
namespace {

static_assert(static_cast<int>(MessageKind::kChat) == Message::CHAT);
static_assert(static_cast<int>(MessageKind::kDirect) == Message::DIRECT);
static_assert(static_cast<int>(MessageKind::kJoin) == Message::JOIN);
static_assert(static_cast<int>(MessageKind::kLeave) == Message::LEAVE);
static_assert(static_cast<int>(MessageKind::kNotice) == Message::NOTICE);
static_assert(static_cast<int>(MessageKind::kGap) == Message::GAP);

MessageKind KindFromWire(Message::Kind kind) {
  switch (kind) {
    case Message::CHAT: return MessageKind::kChat;
    case Message::DIRECT: return MessageKind::kDirect;
    case Message::JOIN: return MessageKind::kJoin;
    case Message::LEAVE: return MessageKind::kLeave;
    case Message::GAP: return MessageKind::kGap;
    default: return MessageKind::kNotice;  // a kind this build does not know yet: show it as a notice
  }
}

}  // namespace

void ToWire(const ChatMessage& message, Message* out) {
  using std::chrono::duration_cast;
  out->Clear();
  out->set_msg(message.text);
  out->mutable_user()->set_username(message.from);
  out->set_id(message.id);
  const auto since_epoch = message.server_time.time_since_epoch();
  const auto seconds = duration_cast<std::chrono::seconds>(since_epoch);
  out->mutable_server_time()->set_seconds(seconds.count());
  out->mutable_server_time()->set_nanos(
      static_cast<std::int32_t>(duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count()));
  out->set_kind(static_cast<Message::Kind>(message.kind));
  if (!message.to.empty()) out->mutable_to()->set_username(message.to);
}

ChatMessage FromWire(const Message& message) {
  using std::chrono::duration_cast;
  ChatMessage plain;
  plain.id = message.id();
  plain.server_time = std::chrono::system_clock::time_point(duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(message.server_time().seconds()) + std::chrono::nanoseconds(message.server_time().nanos())));
  plain.kind = KindFromWire(message.kind());
  plain.from = message.user().username();
  plain.to = message.to().username();
  plain.text = message.msg();
  return plain;
}

WireMessage::WireMessage(const ChatMessage& message)
    : bytes_([&] {
        Message wire;
        ToWire(message, &wire);
        return wire.SerializeAsString();
      }()) {}

std::shared_ptr<const WireMessage> EncodeForWire(const ChatMessage& message) {
  return std::make_shared<const WireMessage>(message);
}

grpc::Status ParseRequest(grpc::ByteBuffer* bytes, google::protobuf::MessageLite* request) {
  grpc::ProtoBufferReader reader(bytes);
  if (request->ParseFromZeroCopyStream(&reader)) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("the request is not a valid {}: names and texts must be UTF-8", request->GetTypeName()));
}

grpc::Status ToGrpcStatus(const Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), status.message());
}

Status FromGrpcStatus(const grpc::Status& status) {
  return Status(static_cast<StatusCode>(status.error_code()), status.error_message());
}

}  // namespace chat
