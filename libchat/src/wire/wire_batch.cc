#include "wire/wire_batch.h"

#include <cstdint>

namespace chat {
namespace {

// The key of MessageBatch.messages: field number 1, wire type 2 (length-delimited).
constexpr std::uint8_t kMessagesFieldKey = (1 << 3) | 2;
// The key and a varint of a size_t: 64 bits take at most 10 bytes of 7.
constexpr std::size_t kMaxPrefixBytes = 1 + 10;

// Writes the key and `length` as a varint (7 bits a byte, lowest first, the high bit set on every
// byte but the last) into `out`; returns how many bytes that took.
std::size_t WritePrefix(std::size_t length, std::uint8_t (&out)[kMaxPrefixBytes]) {
  std::size_t at = 0;
  out[at++] = kMessagesFieldKey;
  while (length >= 0x80) {
    out[at++] = static_cast<std::uint8_t>((length & 0x7F) | 0x80);
    length >>= 7;
  }
  out[at++] = static_cast<std::uint8_t>(length);
  return at;
}

std::size_t PrefixBytes(std::size_t length) {
  std::size_t varint = 1;
  for (; length >= 0x80; length >>= 7) ++varint;
  return 1 + varint;
}

}  // namespace

bool WireBatch::Fits(const grpc::Slice& message) const {
  if (messages_ == 0) return true;
  const std::size_t size = message.size();
  return messages_ < kMaxBatchMessages && bytes_ + PrefixBytes(size) + size <= kMaxBatchBytes;
}

void WireBatch::Add(const grpc::Slice& message) {
  std::uint8_t prefix[kMaxPrefixBytes];
  const std::size_t prefix_size = WritePrefix(message.size(), prefix);
  // A few bytes: gRPC keeps a slice this small inside the slice itself, with no allocation.
  slices_.emplace_back(prefix, prefix_size);
  slices_.push_back(message);  // a reference, not a copy
  ++messages_;
  bytes_ += prefix_size + message.size();
}

grpc::ByteBuffer WireBatch::Buffer() const {
  if (slices_.empty()) {  // an empty MessageBatch is zero bytes
    const grpc::Slice nothing;
    return grpc::ByteBuffer(&nothing, 1);
  }
  return grpc::ByteBuffer(slices_.data(), slices_.size());
}

}  // namespace chat
