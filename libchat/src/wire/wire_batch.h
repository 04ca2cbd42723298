// A chat.MessageBatch made of messages already encoded (WireMessage::bytes()), for one write of a
// Subscribe stream, without encoding any message again.
#ifndef CHAT_SRC_WIRE_WIRE_BATCH_H_
#define CHAT_SRC_WIRE_WIRE_BATCH_H_

#include <cstddef>
#include <vector>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>


namespace chat {

// The most one batch holds: whichever cap comes first ends it. A batch is read whole before the
// client handles its first message, so the caps bound what a client holds at once and how long its
// first message waits for the last to arrive. 256 messages already spread a write's fixed costs
// (HTTP/2 and gRPC framing, a completion-queue round trip) over enough messages that they no longer
// count; 1 MiB is what 256 messages near the default 4096-byte text cap come to, and stays well
// below the 4 MiB gRPC clients accept by default in one message.
inline constexpr std::size_t kMaxBatchMessages = 256;
inline constexpr std::size_t kMaxBatchBytes = 1 << 20;

// Builds one MessageBatch: for each message the field key of `messages` (field 1, length-delimited:
// 0x0A), its length as a varint, then its bytes. The key and length go into a small slice of their
// own; the message's bytes are a reference to its WireMessage's slice, shared with every other
// stream that sends it.
//
// Not thread-safe; one builder per write.
class WireBatch {
 public:
  WireBatch() = default;

  WireBatch(const WireBatch&) = delete;
  WireBatch& operator=(const WireBatch&) = delete;

  // Whether the encoded chat.Message `message` may join: always when the batch is empty (a message
  // above the byte cap goes alone), otherwise while neither cap would be passed.
  bool Fits(const grpc::Slice& message) const;
  // Appends the encoded chat.Message `message`, whether it fits or not: Fits() is the caller's
  // policy. Takes a reference to the slice, not a copy of its bytes.
  void Add(const grpc::Slice& message);

  std::size_t messages() const { return messages_; }
  // The encoded size of the batch so far.
  std::size_t bytes() const { return bytes_; }

  // The batch as a buffer for one Write. It holds references to the messages' slices, which stay
  // alive as long as it does, whatever becomes of the WireMessages they came from.
  grpc::ByteBuffer Buffer() const;

 private:
  std::vector<grpc::Slice> slices_;  // a prefix, then a message's bytes, for each message
  std::size_t messages_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace chat

#endif  // CHAT_SRC_WIRE_WIRE_BATCH_H_
