// Subscribe through a real server: Listen's stream, with every message that waits going out in one
// write. Every message once and in order, batches when the reader falls behind, and the same
// replays as Listen. (Eviction and the stream caps run for both RPCs in listen_test, overload_test
// and limits_test.)
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "chat.pb.h"
#include "support/flood.h"
#include "support/raw_chat.h"
#include "support/slow_listener.h"
#include "support/stream_reader.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

// Registers `name` on `chat` and makes it present the session from then on.
void Register(RawChat& chat, const std::string& name) {
  MessageResponse response;
  REQUIRE(chat.AddUser(name, &response).ok());
  REQUIRE(response.code() == MessageResponse::ADDED);
  chat.set_session(response.session());
}

// The server's count of replayed messages (initial metadata chat-replay-count) of a stream that
// has its initial metadata.
std::string ReplayCount(const grpc::ClientContext& context) {
  const auto& metadata = context.GetServerInitialMetadata();
  const auto found = metadata.find("chat-replay-count");
  return found == metadata.end() ? "(none)" : std::string(found->second.data(), found->second.size());
}

// What a test compares of a message: everything the server set.
std::string Describe(const Message& message) {
  return std::to_string(message.id()) + " " + Message::Kind_Name(message.kind()) + " " + message.user().username() +
         ": " + message.msg();
}

TEST_CASE("a Subscribe stream delivers every message once and in order while 4 senders flood",
          "[server][subscribe]") {
  // Order and completeness are tested here, not eviction: under ThreadSanitizer's lock-order pass
  // this reader falls more than the default 30 s behind the senders.
  ServerOptions options = LoopbackOptions();
  options.max_stream_lag = std::chrono::minutes(10);
  TestServer server(options);
  std::vector<std::unique_ptr<TestUser>> users;
  for (int i = 0; i < 4; ++i) users.push_back(std::make_unique<TestUser>(server, "user" + std::to_string(i)));
  RawChat reader(server.address());  // no name: it gets every message of the room and sends none
  const std::unique_ptr<grpc::ClientContext> context = reader.NewContext();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));  // as long as the lag
  StreamReader stream(reader.stub(), context.get(), StreamRpc::kSubscribe);
  stream.WaitForInitialMetadata();

  // Read while the senders send, until the last message, which the first sender sends once all
  // are done.
  std::vector<Message> seen;
  std::thread reading([&] {
    Message message;
    while (stream.Read(&message)) {
      seen.push_back(message);
      if (message.msg() == "the end") return;
    }
  });
  std::vector<std::uint64_t> all = SendTogether(users, 250);
  const std::uint64_t end = users[0]->Say("the end");
  reading.join();
  if (seen.empty() || seen.back().msg() != "the end") {
    FAIL("the stream ended before the last message: " << stream.Finish().error_message());
  }

  REQUIRE(all.size() == 1000);
  all.push_back(end);  // the last id of all
  // Nothing but the senders' messages was said meanwhile, and all of it went to everybody: the
  // ids the reader saw are those sent, each once, one after another.
  std::vector<std::uint64_t> ids;
  for (const Message& message : seen) ids.push_back(message.id());
  CHECK(ids == all);
  for (std::size_t k = 1; k < ids.size(); ++k) {
    INFO("message " << k);
    REQUIRE(ids[k] == ids[k - 1] + 1);
  }
}

TEST_CASE("a Subscribe reader that pauses gets what waited in fewer writes than messages, all of it, in order",
          "[server][subscribe]") {
  TestServer server;
  TestUser alice(server, "alice");
  // A 64 kB receive window, which some twenty of these messages fill: the rest wait in the server's
  // queue for the stream until the reader reads again.
  const std::unique_ptr<Chat::Stub> stub = SmallWindowStub(server);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kPatience);
  StreamReader paused(*stub, &context, StreamRpc::kSubscribe);
  paused.WaitForInitialMetadata();

  const std::string filler(3000, 'x');
  std::vector<std::uint64_t> sent;
  for (int i = 0; i < 100; ++i) sent.push_back(alice.Say(filler + " " + std::to_string(i)));

  std::vector<std::uint64_t> seen;
  std::size_t writes = 0;
  std::size_t largest = 0;
  std::vector<Message> batch;
  while (seen.size() < sent.size() && paused.ReadWrite(&batch)) {
    ++writes;
    largest = std::max(largest, batch.size());
    for (const Message& message : batch) seen.push_back(message.id());
  }
  INFO(writes << " writes, the largest of " << largest << " messages");
  CHECK(seen == sent);
  CHECK(writes < sent.size());
  CHECK(largest > 1);
}

TEST_CASE("Subscribe replays history and after_id exactly as Listen does", "[server][subscribe]") {
  TestServer server;
  TestUser bob(server, "bob");
  std::vector<std::uint64_t> said;
  for (int i = 0; i < 6; ++i) said.push_back(bob.Say(i == 3 ? "@bob a note to self" : fmt::format("m{}", i)));
  RawChat carol(server.address());
  Register(carol, "carol");

  ListenRequest history;
  history.set_history(4);
  ListenRequest after;
  after.set_after_id(said[1]);
  for (const ListenRequest& request : {history, after}) {
    INFO("history " << request.history() << ", after_id " << request.after_id());
    std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
    std::vector<std::unique_ptr<StreamReader>> streams;
    for (StreamRpc rpc : {StreamRpc::kListen, StreamRpc::kSubscribe}) {
      contexts.push_back(carol.NewContext());
      streams.push_back(std::make_unique<StreamReader>(carol.stub(), contexts.back().get(), rpc, request));
      streams.back()->WaitForInitialMetadata();
    }
    const std::string replayed = ReplayCount(*contexts[0]);
    CHECK(replayed != "0");
    CHECK(ReplayCount(*contexts[1]) == replayed);
    // The replay, then a live message, to both.
    const std::uint64_t live = bob.Say("live");
    std::vector<std::vector<std::string>> got(2);
    for (std::size_t s = 0; s < 2; ++s) {
      Message message;
      do {
        REQUIRE(streams[s]->Read(&message));
        got[s].push_back(Describe(message));
      } while (message.id() != live);
    }
    CHECK(got[1] == got[0]);
    CHECK(std::to_string(got[0].size() - 1) == replayed);
    for (auto& context : contexts) context->TryCancel();
  }
}

}  // namespace
}  // namespace chat::testing
