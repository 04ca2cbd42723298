// Feeds arbitrary bytes to the server's request parsing, as AddUser, SendMessage and Listen
// receive them, and the requests that parse to a Room, from three connections with subscribers.
// Checks that every answer is one the contract allows and that every message reaches exactly the
// streams it should, from the name it should.
//
// Input: a sequence of operations, each a selector byte (which RPC, from which connection), a
// length byte and that many bytes of request.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>
#include <grpc/grpc.h>
#include <spdlog/spdlog.h>
#include <grpcpp/support/byte_buffer.h>

#include "chat.pb.h"
#include "chat/rules.h"
#include "fuzz_check.h"
#include "room.h"
#include "wire.h"

namespace {

class RecordingSubscriber final : public chat::Subscriber {
 public:
  bool Deliver(const chat::MessagePtr& message) override {
    received.push_back(message);
    return true;
  }
  void Close(const chat::Status&) override { closed = true; }

  std::vector<chat::MessagePtr> received;
  bool closed = false;
};

const std::string kPeers[] = {"ipv4:10.0.0.1:1001", "ipv4:10.0.0.2:1002", "ipv4:10.0.0.3:1003"};

grpc::ByteBuffer Bytes(const std::uint8_t* data, std::size_t size) {
  grpc::Slice slice(data, size);
  return grpc::ByteBuffer(&slice, 1);
}

struct World {
  World() : room(Options()) {
    for (int i = 0; i < 3; ++i) FUZZ_CHECK(room.Subscribe(kPeers[i], &subscribers[i]).ok());
  }

  static chat::RoomOptions Options() {
    chat::RoomOptions options;
    options.max_users = 2;
    options.max_text_bytes = 64;
    options.max_rate = 0;
    return options;
  }

  // The name each connection holds, as the room reports it after each registration.
  std::string NameOf(int peer) const {
    const auto found = names.find(peer);
    return found == names.end() ? std::string() : found->second;
  }

  void Register(int peer, const chat::User& user) {
    const chat::Result<chat::Registration> answer = room.Register(kPeers[peer], user.username());
    if (!answer.ok()) {
      FUZZ_CHECK(answer.status().code() == chat::StatusCode::kResourceExhausted);
      return;
    }
    if (answer->code == chat::RegistrationCode::kAdded) {
      FUZZ_CHECK(chat::CheckUsername(user.username()).ok());
      for (const auto& [other, name] : names) {
        if (other != peer) FUZZ_CHECK(!chat::SameUsername(name, user.username()));
      }
      names[peer] = user.username();
    } else {
      FUZZ_CHECK(answer->code == chat::RegistrationCode::kTaken || answer->code == chat::RegistrationCode::kInvalid);
    }
    std::set<std::string> folded;
    const chat::Result<std::vector<std::string>> registered = room.Usernames();
    FUZZ_CHECK(registered.ok());
    for (const std::string& name : *registered) FUZZ_CHECK(folded.insert(chat::FoldUsername(name)).second);
  }

  void Post(int peer, const chat::Message& message) {
    std::size_t before[3];
    for (int i = 0; i < 3; ++i) before[i] = subscribers[i].received.size();
    const chat::Result<std::uint64_t> id = room.Post(kPeers[peer], message.user().username(), message.msg());
    if (!id.ok()) {
      for (int i = 0; i < 3; ++i) FUZZ_CHECK(subscribers[i].received.size() == before[i]);  // nobody got it
      return;
    }
    FUZZ_CHECK(!NameOf(peer).empty());
    FUZZ_CHECK(chat::CheckMessageText(message.msg(), 64).ok());
    for (int i = 0; i < 3; ++i) {
      const auto& got = subscribers[i].received;
      const bool delivered = got.size() == before[i] + 1;
      FUZZ_CHECK(delivered || got.size() == before[i]);
      if (!delivered) {
        // Only a direct message passes a stream by, and never its sender's or recipient's.
        FUZZ_CHECK(chat::IsDirectMessage(chat::TrimText(message.msg())));
        FUZZ_CHECK(i != peer && !chat::SameUsername(NameOf(i), chat::ParseMention(chat::TrimText(message.msg()))->recipient));
        continue;
      }
      const chat::ChatMessage& m = *got.back();
      FUZZ_CHECK(m.id == *id);
      FUZZ_CHECK(m.from == NameOf(peer));
      if (m.kind == chat::MessageKind::kDirect) FUZZ_CHECK(i == peer || chat::SameUsername(NameOf(i), m.to));
    }
  }

  chat::Room room;
  RecordingSubscriber subscribers[3];
  std::map<int, std::string> names;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  grpc_init();
  // The room logs every join and refusal; at a hundred thousand inputs a second that is all the
  // fuzzer would do.
  spdlog::set_level(spdlog::level::off);
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World world;
  std::size_t at = 0;
  while (at + 2 <= size) {
    const std::uint8_t selector = data[at];
    const std::size_t length = std::min<std::size_t>(data[at + 1], size - at - 2);
    grpc::ByteBuffer request = Bytes(data + at + 2, length);
    at += 2 + length;
    const int peer = selector % 3;
    switch ((selector / 3) % 3) {
      case 0: {
        chat::User user;
        if (chat::ParseRequest(&request, &user).ok()) world.Register(peer, user);
        break;
      }
      case 1: {
        chat::Message message;
        if (chat::ParseRequest(&request, &message).ok()) world.Post(peer, message);
        break;
      }
      default: {
        chat::ListenRequest listen;
        const grpc::Status parsed = chat::ParseRequest(&request, &listen);
        FUZZ_CHECK(parsed.ok() || parsed.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
        break;
      }
    }
  }
  return 0;
}
