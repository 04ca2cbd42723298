// Feeds arbitrary bytes to the server's request parsing, as AddUser, SendMessage, Listen (and
// Subscribe, whose request is Listen's), History and Leave receive them, and the requests that
// parse to a Room, from three connections with subscribers (two of them from one source address,
// which may hold one name). The subscribers hold only a few
// messages until they read, so every room operation also runs into evictions. Checks that every
// answer is one the contract allows, that every message reaches exactly the streams it should,
// from the name it should, and that the room's names are exactly those the answers gave out. A
// stream reads what waited for it as Subscribe writes it, one MessageBatch made of the messages'
// shared encodings, which must read back as those messages, in order.
//
// Input: a sequence of operations, each a selector byte (which operation, from which connection),
// a length byte and that many bytes of request (for a read, the bytes are ignored).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
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
#include "room/room.h"
#include "wire/wire.h"
#include "wire/wire_batch.h"

namespace {

// A stream that holds kCapacity messages until its client reads them (Read()), the way Subscribe
// sends them: all in one batch.
class RecordingSubscriber final : public chat::Subscriber {
 public:
  static constexpr std::size_t kCapacity = 4;

  bool Deliver(const chat::MessagePtr& message) override {
    FUZZ_CHECK(!closed);  // the room never calls a subscriber it closed
    if (unread == kCapacity) return false;
    ++unread;
    received.push_back(message);
    return true;
  }
  void Close(const chat::Status& reason) override {
    FUZZ_CHECK(!closed);
    // Evicted, or its connection left.
    FUZZ_CHECK(reason.code() == chat::StatusCode::kResourceExhausted || reason.code() == chat::StatusCode::kOk);
    closed = true;
  }
  void Read() {
    const std::size_t first = received.size() - unread;
    chat::WireBatch batch;
    for (std::size_t k = first; k < received.size(); ++k) {
      FUZZ_CHECK(batch.Fits(received[k]->wire->bytes()));  // a few short messages reach no cap
      batch.Add(received[k]->wire->bytes());
    }
    grpc::ByteBuffer bytes = batch.Buffer();
    chat::MessageBatch parsed;
    FUZZ_CHECK(chat::ParseRequest(&bytes, &parsed).ok());
    FUZZ_CHECK(static_cast<std::size_t>(parsed.messages_size()) == unread);
    for (std::size_t k = 0; k < unread; ++k) {
      chat::Message expected;
      chat::ToWire(*received[first + k], &expected);
      FUZZ_CHECK(parsed.messages(static_cast<int>(k)).SerializeAsString() == expected.SerializeAsString());
    }
    unread = 0;
  }

  std::vector<chat::MessagePtr> received;
  std::size_t unread = 0;
  bool closed = false;
};

const std::string kPeers[] = {"ipv4:10.0.0.1:1001", "ipv4:10.0.0.1:1002", "ipv4:10.0.0.3:1003"};

grpc::ByteBuffer Bytes(const std::uint8_t* data, std::size_t size) {
  grpc::Slice slice(data, size);
  return grpc::ByteBuffer(&slice, 1);
}

struct World {
  World() : room(Options()) {
    for (int i = 0; i < 3; ++i) subscribers[i] = std::make_unique<RecordingSubscriber>();
    for (int i = 0; i < 3; ++i) FUZZ_CHECK(room.Subscribe(kPeers[i], subscribers[i].get()).ok());
  }

  static chat::RoomOptions Options() {
    chat::RoomOptions options;
    options.max_users = 2;
    options.max_text_bytes = 64;
    options.max_rate = 0;
    options.max_address_rate = 0;
    options.max_registration_rate = 0;
    options.max_names_per_address = 1;
    options.encode = chat::EncodeForWire;  // as the server does, for the batches Read() makes
    return options;
  }

  // A new stream for `peer` when its last one was evicted or left, replaying what `request` asks
  // for; when the room refuses that, a stream without a replay, which it must accept.
  void Listen(int peer, const chat::ListenRequest& request = {}) {
    if (subscribers[peer] != nullptr && !subscribers[peer]->closed) return;
    auto subscriber = std::make_unique<RecordingSubscriber>();
    const chat::Result<std::size_t> replayed =
        room.Subscribe(kPeers[peer], subscriber.get(), chat::ListenFrom{request.after_id(), request.history()});
    if (!replayed.ok()) {
      FUZZ_CHECK(replayed.status().code() == chat::StatusCode::kInvalidArgument ||
                 replayed.status().code() == chat::StatusCode::kOutOfRange);
      FUZZ_CHECK(room.Subscribe(kPeers[peer], subscriber.get()).ok());
    } else if (!subscriber->closed) {
      // Everything replayed arrived, in id order, and no more than asked for.
      FUZZ_CHECK(subscriber->received.size() == *replayed);
      if (request.history() > 0) FUZZ_CHECK(*replayed <= request.history());
      for (std::size_t k = 1; k < subscriber->received.size(); ++k) {
        FUZZ_CHECK(subscriber->received[k - 1]->id < subscriber->received[k]->id);
      }
      for (const chat::MessagePtr& message : subscriber->received) {
        if (message->kind == chat::MessageKind::kGap) FUZZ_CHECK(message == subscriber->received.front());
      }
    }
    bool closed_before[3];
    for (int i = 0; i < 3; ++i) closed_before[i] = i != peer && subscribers[i]->closed;
    subscribers[peer] = std::move(subscriber);
    CheckNames(closed_before);  // a replay that overflowed the new stream evicted it, and its name
  }

  void History(int peer, const chat::HistoryRequest& request) {
    const chat::Result<chat::MessageHistory::Page> page = room.History(kPeers[peer], request.before_id(), request.limit());
    if (!page.ok()) {
      const bool unnamed = NameOf(peer).empty();
      FUZZ_CHECK(page.status().code() ==
                 (unnamed ? chat::StatusCode::kFailedPrecondition : chat::StatusCode::kInvalidArgument));
      return;
    }
    FUZZ_CHECK(!NameOf(peer).empty());
    FUZZ_CHECK(page->messages.size() <= request.limit());
    for (std::size_t k = 0; k < page->messages.size(); ++k) {
      if (request.before_id() > 0) FUZZ_CHECK(page->messages[k]->id < request.before_id());
      if (k > 0) FUZZ_CHECK(page->messages[k - 1]->id < page->messages[k]->id);
    }
  }

  void Leave(int peer) {
    bool closed_before[3];
    for (int i = 0; i < 3; ++i) closed_before[i] = subscribers[i]->closed;
    const chat::Result<std::string> goodbye = room.Leave(kPeers[peer]);
    if (!goodbye.ok()) {
      FUZZ_CHECK(goodbye.status().code() == chat::StatusCode::kFailedPrecondition);
      FUZZ_CHECK(NameOf(peer).empty());
    } else {
      FUZZ_CHECK(subscribers[peer]->closed);
      names.erase(peer);
    }
    CheckNames(closed_before);
  }

  // After every operation: an evicted stream was its peer's only one, so its name is gone, and the
  // room holds exactly the names the answers gave out.
  void CheckNames(const bool (&closed_before)[3]) {
    for (int i = 0; i < 3; ++i) {
      if (subscribers[i]->closed && !closed_before[i]) names.erase(i);
    }
    std::set<std::string> expected;
    for (const auto& [peer, name] : names) expected.insert(chat::FoldUsername(name));
    std::set<std::string> folded;
    const chat::Result<std::vector<std::string>> registered = room.Usernames();
    FUZZ_CHECK(registered.ok());
    for (const std::string& name : *registered) FUZZ_CHECK(folded.insert(chat::FoldUsername(name)).second);
    FUZZ_CHECK(folded == expected);
  }

  // The name each connection holds, as the room reports it after each registration.
  std::string NameOf(int peer) const {
    const auto found = names.find(peer);
    return found == names.end() ? std::string() : found->second;
  }

  void Register(int peer, const chat::User& user) {
    bool closed_before[3];
    for (int i = 0; i < 3; ++i) closed_before[i] = subscribers[i]->closed;
    const chat::Result<chat::Registration> answer = room.Register(kPeers[peer], user.username());
    if (!answer.ok()) {
      FUZZ_CHECK(answer.status().code() == chat::StatusCode::kResourceExhausted);
    } else if (answer->code == chat::RegistrationCode::kAdded) {
      FUZZ_CHECK(chat::CheckUsername(user.username()).ok());
      for (const auto& [other, name] : names) {
        if (other != peer) FUZZ_CHECK(!chat::SameUsername(name, user.username()));
      }
      FUZZ_CHECK(!subscribers[peer]->closed || closed_before[peer]);  // ADDED only for a name still held
      names[peer] = user.username();
    } else {
      FUZZ_CHECK(answer->code == chat::RegistrationCode::kTaken || answer->code == chat::RegistrationCode::kInvalid);
    }
    CheckNames(closed_before);
  }

  void Post(int peer, const chat::Message& message) {
    std::size_t before[3];
    bool closed_before[3];
    for (int i = 0; i < 3; ++i) {
      before[i] = subscribers[i]->received.size();
      closed_before[i] = subscribers[i]->closed;
    }
    const std::string sender = NameOf(peer);
    const chat::Result<std::uint64_t> id = room.Post(kPeers[peer], message.user().username(), message.msg());
    if (!id.ok()) {
      for (int i = 0; i < 3; ++i) FUZZ_CHECK(subscribers[i]->received.size() == before[i]);  // nobody got it
      CheckNames(closed_before);
      return;
    }
    FUZZ_CHECK(!sender.empty());
    FUZZ_CHECK(chat::CheckMessageText(message.msg(), 64).ok());
    for (int i = 0; i < 3; ++i) {
      // The message, first if at all; after it only the leaves of the streams it evicted.
      const auto& got = subscribers[i]->received;
      bool delivered = false;
      for (std::size_t k = before[i]; k < got.size(); ++k) {
        if (got[k]->id == *id) {
          FUZZ_CHECK(k == before[i]);
          delivered = true;
        } else {
          FUZZ_CHECK(got[k]->kind == chat::MessageKind::kLeave && got[k]->id > *id);
        }
      }
      if (!delivered && subscribers[i]->closed) continue;  // evicted by this message, or before it
      if (!delivered) {
        // Only a direct message passes a stream by, and never its sender's or recipient's.
        FUZZ_CHECK(chat::IsDirectMessage(chat::TrimText(message.msg())));
        FUZZ_CHECK(i != peer && !chat::SameUsername(NameOf(i), chat::ParseMention(chat::TrimText(message.msg()))->recipient));
        continue;
      }
      const chat::ChatMessage& m = *got[before[i]];
      FUZZ_CHECK(m.id == *id);
      FUZZ_CHECK(m.from == sender);
      if (m.kind == chat::MessageKind::kDirect) FUZZ_CHECK(i == peer || chat::SameUsername(NameOf(i), m.to));
    }
    CheckNames(closed_before);
  }

  chat::Room room;
  std::unique_ptr<RecordingSubscriber> subscribers[3];
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
    switch ((selector / 3) % 7) {
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
      case 2: {
        chat::ListenRequest listen;
        const grpc::Status parsed = chat::ParseRequest(&request, &listen);
        FUZZ_CHECK(parsed.ok() || parsed.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
        if (parsed.ok()) world.Listen(peer, listen);
        break;
      }
      case 3: {
        chat::HistoryRequest history;
        if (chat::ParseRequest(&request, &history).ok()) world.History(peer, history);
        break;
      }
      case 4: {
        chat::LeaveRequest leave;
        if (chat::ParseRequest(&request, &leave).ok()) world.Leave(peer);
        break;
      }
      default:
        world.subscribers[peer]->Read();
        break;
    }
  }
  return 0;
}
