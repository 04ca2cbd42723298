// WireBatch: a MessageBatch put together from messages encoded once, read back with the generated
// MessageBatch.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "chat.pb.h"
#include "wire/wire.h"
#include "wire/wire_batch.h"

namespace chat {
namespace {

ChatMessage Said(std::uint64_t id, std::string text) {
  ChatMessage message;
  message.id = id;
  message.from = "alice";
  message.text = std::move(text);
  message.server_time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  return message;
}

MessageBatch Parsed(const grpc::ByteBuffer& buffer) {
  grpc::ByteBuffer copy(buffer);
  MessageBatch batch;
  REQUIRE(ParseRequest(&copy, &batch).ok());
  return batch;
}

std::string Encoded(const grpc::Slice& slice) {
  return std::string(reinterpret_cast<const char*>(slice.begin()), slice.size());
}

TEST_CASE("a batch reads back as a MessageBatch holding every message, in order", "[wire]") {
  // Lengths whose varints take one, two and three bytes, and an empty message (a zero length).
  const WireMessage short_one(Said(1, "hi"));
  const WireMessage over_127(Said(2, std::string(300, 'b')));
  const WireMessage over_16383(Said(3, std::string(20000, 'c')));
  const grpc::Slice empty;
  REQUIRE(over_127.bytes().size() > 127);
  REQUIRE(over_16383.bytes().size() > 16383);

  WireBatch batch;
  for (const grpc::Slice* message : {&short_one.bytes(), &empty, &over_127.bytes(), &over_16383.bytes()}) {
    REQUIRE(batch.Fits(*message));
    batch.Add(*message);
  }
  CHECK(batch.messages() == 4);

  const MessageBatch parsed = Parsed(batch.Buffer());
  REQUIRE(parsed.messages_size() == 4);
  CHECK(parsed.messages(0).SerializeAsString() == Encoded(short_one.bytes()));
  CHECK(parsed.messages(1).SerializeAsString().empty());
  CHECK(parsed.messages(2).SerializeAsString() == Encoded(over_127.bytes()));
  CHECK(parsed.messages(3).SerializeAsString() == Encoded(over_16383.bytes()));
  CHECK(FromWire(parsed.messages(2)).text == std::string(300, 'b'));
  CHECK(parsed.messages(3).id() == 3);
  CHECK(batch.bytes() == parsed.ByteSizeLong());
}

TEST_CASE("a batch refers to the messages' bytes instead of copying them", "[wire]") {
  const WireMessage first(Said(1, "one")), second(Said(2, std::string(200, 'x')));
  WireBatch batch;
  batch.Add(first.bytes());
  batch.Add(second.bytes());
  std::vector<grpc::Slice> slices;
  REQUIRE(batch.Buffer().Dump(&slices).ok());
  REQUIRE(slices.size() == 4);  // a prefix, then the message, for each
  CHECK(slices[1].begin() == first.bytes().begin());
  CHECK(slices[3].begin() == second.bytes().begin());
  // The key of field 1, then the length in two varint bytes.
  const std::size_t length = second.bytes().size();
  const std::string prefix = {'\x0a', static_cast<char>((length & 0x7F) | 0x80), static_cast<char>(length >> 7)};
  CHECK(Encoded(slices[2]) == prefix);
}

TEST_CASE("a batch ends at 256 messages or 1 MiB, and a bigger message goes alone", "[wire]") {
  SECTION("256 messages") {
    const WireMessage small(Said(1, "tiny"));
    WireBatch batch;
    while (batch.Fits(small.bytes())) batch.Add(small.bytes());
    CHECK(batch.messages() == kMaxBatchMessages);
    CHECK(Parsed(batch.Buffer()).messages_size() == 256);
  }
  SECTION("1 MiB") {
    const WireMessage big(Said(1, std::string(100000, 'B')));  // a length of three varint bytes
    WireBatch batch;
    while (batch.Fits(big.bytes())) batch.Add(big.bytes());
    CHECK(batch.messages() == kMaxBatchBytes / (big.bytes().size() + 4));
    CHECK(batch.bytes() <= kMaxBatchBytes);
    CHECK(batch.bytes() + big.bytes().size() + 4 > kMaxBatchBytes);
  }
  SECTION("a message above the cap, alone") {
    const grpc::Slice huge(std::string(kMaxBatchBytes + 1, 'h'));  // as bytes only: the cap reads no content
    const WireMessage small(Said(1, "tiny"));
    WireBatch batch;
    REQUIRE(batch.Fits(huge));
    batch.Add(huge);
    CHECK_FALSE(batch.Fits(small.bytes()));
    CHECK(batch.bytes() == kMaxBatchBytes + 1 + 4);
  }
}

TEST_CASE("an empty batch is an empty MessageBatch", "[wire]") {
  const WireBatch batch;
  CHECK(Parsed(batch.Buffer()).messages_size() == 0);
}

}  // namespace
}  // namespace chat
