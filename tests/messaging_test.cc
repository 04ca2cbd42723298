// SendMessage through a real server: broadcast, direct messages, and every refusal.
//
// To show that a message reached nobody, a test sends a marker afterwards and reads each stream
// through it: every stream is in room order, so what was not there before the marker never comes.
#include <catch2/catch.hpp>

#include "support/raw_chat.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

bool Saw(const std::vector<ChatMessage>& messages, const std::string& text) {
  return std::any_of(messages.begin(), messages.end(), [&](const ChatMessage& m) { return m.text == text; });
}

TEST_CASE("a broadcast reaches everyone, the sender included, stamped with the sender's name", "[server][send]") {
  TestServer server;
  TestUser alice(server, "alice"), bob(server, "bob"), carol(server, "carol");
  const auto before = std::chrono::system_clock::now();
  const std::uint64_t id = bob.Say("  hi, this is bob ");
  for (TestUser* user : {&alice, &bob, &carol}) {
    INFO(user->name());
    const std::optional<ChatMessage> message = user->WaitFor(HasId(id));
    REQUIRE(message.has_value());
    CHECK(message->kind == MessageKind::kChat);
    CHECK(message->from == "bob");
    CHECK(message->text == "hi, this is bob");
    CHECK(message->to.empty());
    CHECK(message->server_time >= before - std::chrono::seconds(1));
  }
}

TEST_CASE("@bob reaches bob and the sender, and not carol", "[server][send]") {
  TestServer server;
  TestUser alice(server, "alice"), bob(server, "bob"), carol(server, "carol");
  const std::uint64_t secret = alice.Say("@bob psst");
  const std::uint64_t marker = alice.Say("marker");
  for (TestUser* user : {&alice, &bob}) {
    INFO(user->name());
    const std::vector<ChatMessage> seen = user->ReadThrough(marker);
    const auto direct = std::find_if(seen.begin(), seen.end(), [&](const ChatMessage& m) { return m.id == secret; });
    REQUIRE(direct != seen.end());
    CHECK(direct->kind == MessageKind::kDirect);
    CHECK(direct->from == "alice");
    CHECK(direct->to == "bob");
    CHECK(direct->text == "@bob psst");
  }
  CHECK_FALSE(Saw(carol.ReadThrough(marker), "@bob psst"));
}

TEST_CASE("@ghost is NOT_FOUND and nothing is delivered", "[server][send]") {
  TestServer server;
  TestUser alice(server, "alice"), bob(server, "bob");
  const Result<std::uint64_t> sent = alice.client().Send("@ghost hello?");
  CHECK(sent.status() == Status(StatusCode::kNotFound, "no such user: ghost"));
  const std::uint64_t marker = alice.Say("marker");
  CHECK_FALSE(Saw(alice.ReadThrough(marker), "@ghost hello?"));
  CHECK_FALSE(Saw(bob.ReadThrough(marker), "@ghost hello?"));
}

TEST_CASE("sending as somebody else is PERMISSION_DENIED and nothing is delivered", "[server][send]") {
  TestServer server;
  TestUser alice(server, "alice"), bob(server, "bob");
  RawChat mallory(server.address());
  MessageResponse registered;
  REQUIRE(mallory.AddUser("mallory", &registered).ok());
  REQUIRE(registered.code() == MessageResponse::ADDED);

  const grpc::Status refused = mallory.Send("I am alice, trust me", "alice");
  CHECK(refused.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(refused.error_message() == "you are mallory and cannot send as another user");
  CHECK(mallory.Send("I am mallory", "Mallory").ok());

  const std::uint64_t marker = alice.Say("marker");
  for (TestUser* user : {&alice, &bob}) {
    const std::vector<ChatMessage> seen = user->ReadThrough(marker);
    CHECK_FALSE(Saw(seen, "I am alice, trust me"));
    CHECK(Saw(seen, "I am mallory"));
  }
}

TEST_CASE("sending before registering is FAILED_PRECONDITION", "[server][send]") {
  TestServer server;
  auto stranger = server.NewClient();
  const Result<std::uint64_t> sent = stranger->Send("hello?");
  CHECK(sent.status() == Status(StatusCode::kFailedPrecondition, "register first: call AddUser with a name"));
}

TEST_CASE("texts that break the rules are INVALID_ARGUMENT and delivered to nobody", "[server][send]") {
  TestServer server;
  TestUser alice(server, "alice"), bob(server, "bob");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "message is empty"},
      {"   \t ", "message is empty"},
      {std::string(4097, 'x'), "message too long (max 4096 bytes)"},
      {"two\nlines", "message contains a control character (U+000A); only tab is allowed"},
      {"\x1b[2Jgotcha", "message contains a control character (U+001B); only tab is allowed"},
      {"@bob", "@bob needs a message after the name"},
      {"@ bob hi", "a direct message is @name followed by a space and the text"},
  };
  for (const auto& [text, reason] : cases) {
    INFO(text);
    CHECK(alice.client().Send(text).status() == Status(StatusCode::kInvalidArgument, reason));
  }
  const std::uint64_t exactly_at_limit = alice.Say(std::string(4096, 'y'));
  const std::uint64_t with_tab = alice.Say("a\ttab");
  const std::vector<ChatMessage> seen = bob.ReadThrough(with_tab);
  std::vector<std::uint64_t> chat_ids;
  for (const ChatMessage& message : seen) {
    if (message.kind == MessageKind::kChat) chat_ids.push_back(message.id);
  }
  CHECK(chat_ids == std::vector<std::uint64_t>{exactly_at_limit, with_tab});
}

TEST_CASE("a user over the flood limit gets RESOURCE_EXHAUSTED while the others send on", "[server][send]") {
  ServerOptions options = LoopbackOptions();
  options.max_rate = 1;
  options.max_burst = 5;
  TestServer server(options);
  TestUser alice(server, "alice"), bob(server, "bob");
  for (int i = 0; i < 5; ++i) alice.Say("burst " + std::to_string(i));
  const Result<std::uint64_t> refused = alice.client().Send("one too many");
  CHECK(refused.status() ==
        Status(StatusCode::kResourceExhausted, "sending too fast (at most 1 per second, bursts of 5)"));
  for (int i = 0; i < 5; ++i) bob.Say("bob is not slowed " + std::to_string(i));
}

TEST_CASE("flood control is on by default: a burst of 20, then 10 per second", "[server][send]") {
  ServerOptions options;  // the defaults, on a free loopback port
  options.address = "127.0.0.1:0";
  TestServer server(options);
  TestUser alice(server, "alice");
  // The bucket starts full, so the first 20 always pass; at 10 per second it cannot keep up with
  // sends back to back for long, and 100 of them leave no doubt.
  int accepted = 0;
  Status refused;
  for (int i = 0; i < 100 && refused.ok(); ++i) {
    const Result<std::uint64_t> sent = alice.client().Send("flood " + std::to_string(i));
    if (sent.ok()) ++accepted;
    refused = sent.status();
  }
  CHECK(refused == Status(StatusCode::kResourceExhausted, "sending too fast (at most 10 per second, bursts of 20)"));
  CHECK(accepted >= 20);
}

TEST_CASE("the answer carries the id the message has in every stream", "[server][send]") {
  TestServer server;
  TestUser alice(server, "alice");
  const std::uint64_t first = alice.Say("one");
  const std::uint64_t second = alice.Say("two");
  CHECK(second > first);
  CHECK(alice.WaitFor(HasId(first))->text == "one");
  CHECK(alice.WaitFor(HasId(second))->text == "two");
}

}  // namespace
}  // namespace chat::testing
