// A Client's session through a real server: the token kept and sent, Leave, History, and where a
// Listen stream starts (ListenOptions).
#include <algorithm>

#include <catch2/catch.hpp>

#include "support/test_server.h"

namespace chat::testing {
namespace {

std::vector<std::string> Texts(const std::vector<ChatMessage>& messages) {
  std::vector<std::string> texts;
  for (const ChatMessage& message : messages) texts.push_back(message.text);
  return texts;
}

std::vector<std::string> ChatTexts(const std::vector<ChatMessage>& messages) {
  std::vector<std::string> texts;
  for (const ChatMessage& message : messages) {
    if (message.kind == MessageKind::kChat) texts.push_back(message.text);
  }
  return texts;
}

// The next `count` messages of `stream`; fails the test if they do not come.
std::vector<ChatMessage> Take(MessageStream& stream, std::size_t count) {
  std::vector<ChatMessage> taken;
  while (taken.size() < count) {
    std::optional<ChatMessage> message = stream.Next(kPatience);
    REQUIRE(message.has_value());
    taken.push_back(std::move(*message));
  }
  return taken;
}

TEST_CASE("an added name starts a session, which the Client keeps until Leave", "[client][session]") {
  TestServer server;
  const auto alice = server.NewClient();
  CHECK_FALSE(alice->has_session());
  const Result<Registration> added = alice->AddUser("alice");
  REQUIRE(added.status().ToString() == "OK");
  REQUIRE(added->code == RegistrationCode::kAdded);
  CHECK_FALSE(added->session.empty());
  CHECK(alice->has_session());

  const auto other = server.NewClient();
  const Result<Registration> taken = other->AddUser("alice");
  CHECK(taken->code == RegistrationCode::kTaken);
  CHECK(taken->session.empty());
  CHECK_FALSE(other->has_session());
}

TEST_CASE("Leave frees the name at once, ends the session's streams with OK, and a second one has nothing to leave",
          "[client][session]") {
  TestServer server;
  TestUser bob(server, "bob");
  const auto alice = server.NewClient();
  REQUIRE(alice->AddUser("alice")->code == RegistrationCode::kAdded);
  Result<std::unique_ptr<MessageStream>> stream = alice->Listen();
  REQUIRE(stream.ok());

  CHECK(alice->Leave().ToString() == "OK");
  CHECK_FALSE(alice->has_session());
  CHECK_FALSE(IsRegistered(bob.client(), "alice"));
  CHECK(bob.WaitFor(IsLeaveOf("alice")).has_value());
  while (!(*stream)->ended()) (*stream)->Next(kPatience);
  CHECK((*stream)->status().ok());

  CHECK(alice->Leave().code() == StatusCode::kFailedPrecondition);
  CHECK(alice->Send("still here?").status().code() == StatusCode::kFailedPrecondition);
  CHECK(alice->AddUser("alice")->code == RegistrationCode::kAdded);
  CHECK(alice->has_session());
}

TEST_CASE("a call with a session the server no longer knows is UNAUTHENTICATED, and the Client forgets it",
          "[client][session]") {
  auto first = std::make_unique<TestServer>();
  ServerOptions options = LoopbackOptions();
  options.address = first->address();
  ClientOptions client_options;
  client_options.server_address = options.address;
  Client alice(client_options);
  REQUIRE(alice.AddUser("alice")->code == RegistrationCode::kAdded);
  first.reset();
  TestServer second(options);

  Status answer;
  CHECK(Eventually([&] {
    answer = alice.Send("hello?").status();
    return answer.code() != StatusCode::kUnavailable;
  }));
  CHECK(answer.code() == StatusCode::kUnauthenticated);
  CHECK_FALSE(alice.has_session());
  CHECK(alice.Send("hello?").status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("Listen with history replays the last messages first, and replayed() says how many", "[client][listen]") {
  TestServer server;
  TestUser bob(server, "bob");
  const auto alice = server.NewClient();
  REQUIRE(alice->AddUser("alice")->code == RegistrationCode::kAdded);
  for (int n = 1; n <= 5; ++n) bob.Say("said " + std::to_string(n));

  ListenOptions from;
  from.history = 3;
  Result<std::unique_ptr<MessageStream>> stream = alice->Listen(from);
  REQUIRE(stream.status().ToString() == "OK");
  CHECK((*stream)->replayed() == 3);
  bob.Say("live");
  CHECK(Texts(Take(**stream, 4)) == std::vector<std::string>{"said 3", "said 4", "said 5", "live"});
}

TEST_CASE("Listen after an id replays every kept message after it, then live ones", "[client][listen]") {
  TestServer server;
  TestUser bob(server, "bob");
  const auto alice = server.NewClient();
  REQUIRE(alice->AddUser("alice")->code == RegistrationCode::kAdded);
  bob.Say("said 1");
  const std::uint64_t second = bob.Say("said 2");
  bob.Say("said 3");
  bob.Say("said 4");

  ListenOptions from;
  from.after_id = second;
  Result<std::unique_ptr<MessageStream>> stream = alice->Listen(from);
  REQUIRE(stream.status().ToString() == "OK");
  CHECK((*stream)->replayed() == 2);
  bob.Say("live");
  CHECK(Texts(Take(**stream, 3)) == std::vector<std::string>{"said 3", "said 4", "live"});
}

TEST_CASE("Listen after an id not issued yet is OUT_OF_RANGE, and history above 500 INVALID_ARGUMENT",
          "[client][listen]") {
  TestServer server;
  TestUser alice(server, "alice");
  const std::uint64_t last = alice.Say("the latest");
  ListenOptions beyond;
  beyond.after_id = last + 1000;
  CHECK(alice.client().Listen(beyond).status().code() == StatusCode::kOutOfRange);
  ListenOptions too_much;
  too_much.history = 501;
  CHECK(alice.client().Listen(too_much).status().code() == StatusCode::kInvalidArgument);
  too_much.history = 500;
  CHECK(alice.client().Listen(too_much).ok());
}

TEST_CASE("History pages back through the room, oldest first, and says when nothing is further back",
          "[client][history]") {
  TestServer server;
  TestUser bob(server, "bob");
  const auto alice = server.NewClient();
  CHECK(alice->History(0, 10).status().code() == StatusCode::kFailedPrecondition);
  REQUIRE(alice->AddUser("alice")->code == RegistrationCode::kAdded);
  std::vector<std::uint64_t> ids;
  for (int n = 1; n <= 5; ++n) ids.push_back(bob.Say("said " + std::to_string(n)));

  const Result<HistoryPage> latest = alice->History(0, 2);
  REQUIRE(latest.status().ToString() == "OK");
  CHECK(Texts(latest->messages) == std::vector<std::string>{"said 4", "said 5"});
  CHECK_FALSE(latest->complete);

  const Result<HistoryPage> earlier = alice->History(latest->messages.front().id, 500);
  REQUIRE(earlier.ok());
  CHECK(ChatTexts(earlier->messages) == std::vector<std::string>{"said 1", "said 2", "said 3"});
  CHECK(earlier->complete);
  CHECK(std::is_sorted(earlier->messages.begin(), earlier->messages.end(),
                       [](const ChatMessage& a, const ChatMessage& b) { return a.id < b.id; }));

  CHECK(alice->History(0, 0).status().code() == StatusCode::kInvalidArgument);
  CHECK(alice->History(0, 501).status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chat::testing
