// Listen through a real server: one order for everybody, the slow-consumer policy (the same for
// Subscribe: those tests run once over each RPC), several streams on one connection.
#include <future>

#include <catch2/catch.hpp>

#include "support/flood.h"
#include "support/raw_chat.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

TEST_CASE("every subscriber sees the same order over 1000 messages from 4 senders", "[server][listen]") {
  TestServer server;
  std::vector<std::unique_ptr<TestUser>> users;
  for (int i = 0; i < 4; ++i) users.push_back(std::make_unique<TestUser>(server, "user" + std::to_string(i)));

  const std::vector<std::uint64_t> all = SendTogether(users, 250);
  REQUIRE(all.size() == 1000);
  for (auto& user : users) {
    INFO(user->name());
    CHECK(ChatIds(user->ReadThrough(all.back())) == all);
  }
}

TEST_CASE("a subscriber that stops reading is evicted with RESOURCE_EXHAUSTED while the others get everything",
          "[server][listen][subscribe]") {
  const StreamRpc rpc = GENERATE(StreamRpc::kListen, StreamRpc::kSubscribe);
  INFO("the stalled stream is a " << NameOf(rpc));
  ServerOptions options = LoopbackOptions();
  options.max_queued_messages = 64;
  options.drain_timeout = std::chrono::minutes(1);  // wait for the reader to come back, so it sees why
  TestServer server(options);
  TestUser alice(server, "alice"), bob(server, "bob");

  StalledListener stalled(server, "stalled", rpc);

  const Flood flood = FloodUntilEvicted(alice, "stalled", {&alice, &bob});
  CHECK(flood.seen[0] == flood.sent);
  CHECK(flood.seen[1] == flood.sent);
  const std::optional<ChatMessage> leave = bob.WaitFor(IsLeaveOf("stalled"));
  REQUIRE(leave.has_value());
  CHECK(leave->text == "stalled left (too slow)");

  // Reading again drains what the server had in flight, then the stream ends with the reason.
  Message message;
  std::size_t read = 0;
  while (stalled.reader->Read(&message)) ++read;
  CHECK(read < flood.sent.size());
  const grpc::Status ended = stalled.reader->Finish();
  CHECK(ended.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(ended.error_message() == "too slow: the stream fell too far behind");
}

TEST_CASE("an evicted stream whose client never reads again is cancelled after the drain timeout",
          "[server][listen][subscribe]") {
  const StreamRpc rpc = GENERATE(StreamRpc::kListen, StreamRpc::kSubscribe);
  INFO("the stalled stream is a " << NameOf(rpc));
  ServerOptions options = LoopbackOptions();
  options.max_queued_messages = 64;
  options.drain_timeout = std::chrono::milliseconds(200);
  TestServer server(options);
  TestUser alice(server, "alice");

  StalledListener stalled(server, "stalled", rpc);
  REQUIRE(server.server().stats().streams == 2);

  FloodUntilEvicted(alice, "stalled", {&alice});
  // The client cannot learn of the cancellation before it reads the messages it holds; the server
  // shows it by freeing the call.
  CHECK(Eventually([&] { return server.server().stats().streams == 1; }));
  CHECK(server.server().stats().evictions == 1);
  stalled.context.TryCancel();
}

TEST_CASE("a second Listen on one connection gets everything too, and the name stays until both end",
          "[server][listen]") {
  TestServer server;
  TestUser alice(server, "alice"), bob(server, "bob");
  Result<std::unique_ptr<MessageStream>> second = alice.client().Listen();
  REQUIRE(second.ok());
  const std::uint64_t direct = bob.Say("@alice in both windows");
  CHECK(alice.WaitFor(HasId(direct)).has_value());
  CHECK((*second)->Next(kPatience)->id == direct);

  second->reset();  // one window closed: alice is still here
  const std::vector<ChatMessage> seen = bob.ReadThrough(bob.Say("still there?"));
  CHECK(std::none_of(seen.begin(), seen.end(), IsLeaveOf("alice")));
  CHECK(IsRegistered(bob.client(), "alice"));
  alice.Leave();
  CHECK(bob.WaitFor(IsLeaveOf("alice")).has_value());
}

TEST_CASE("a stream opened before registering gets the room, and direct messages once registered", "[server][listen]") {
  TestServer server;
  TestUser alice(server, "alice");
  auto early = server.NewClient();
  Result<std::unique_ptr<MessageStream>> stream = early->Listen();
  REQUIRE(stream.ok());
  const std::uint64_t hello = alice.Say("hello, whoever listens");
  REQUIRE(early->AddUser("erin")->code == RegistrationCode::kAdded);
  const std::uint64_t welcome = alice.Say("@erin welcome");
  std::vector<std::uint64_t> seen;
  while (seen.empty() || seen.back() != welcome) {
    const std::optional<ChatMessage> message = (*stream)->Next(kPatience);
    REQUIRE(message.has_value());
    seen.push_back(message->id);
  }
  CHECK(std::find(seen.begin(), seen.end(), hello) != seen.end());
}

TEST_CASE("a handler that blocks holds up its own stream only", "[client]") {
  TestServer server;
  TestUser alice(server, "alice"), bob(server, "bob");
  auto blocked_client = server.NewClient();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  std::once_flag entered_once;
  auto blocked = blocked_client->Listen(
      [&](const ChatMessage&) {
        std::call_once(entered_once, [&] { entered.set_value(); });
        released.wait();
      },
      nullptr);
  REQUIRE(blocked.ok());

  alice.Say("first");
  REQUIRE(entered.get_future().wait_for(kPatience) == std::future_status::ready);
  for (int i = 0; i < 20; ++i) CHECK(bob.WaitFor(HasId(alice.Say("more " + std::to_string(i)))).has_value());
  release.set_value();
}

}  // namespace
}  // namespace chat::testing
