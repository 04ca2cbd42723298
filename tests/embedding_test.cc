// The hooks for embedders: observers and bots, without gRPC.
#include <condition_variable>
#include <future>
#include <mutex>

#include <catch2/catch.hpp>

#include "common/shutdown.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

// Collects what a handler is given, for a test to wait on.
class Inbox {
 public:
  BotHandler ForBot() {
    return [handler = Handler()](Bot&, const ChatMessage& message) { handler(message); };
  }
  MessageHandler Handler() {
    return [this](const ChatMessage& message) {
      std::lock_guard<std::mutex> lock(mu_);
      messages_.push_back(message);
      arrived_.notify_all();
    };
  }
  // Waits for a message with `text`; nullopt if none came in time.
  std::optional<ChatMessage> WaitFor(const std::string& text) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<ChatMessage> found;
    arrived_.wait_for(lock, kPatience, [&] {
      for (const ChatMessage& message : messages_) {
        if (message.text == text) found = message;
      }
      return found.has_value();
    });
    return found;
  }
  // Whether a message with `text` has arrived, without waiting.
  bool Saw(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::any_of(messages_.begin(), messages_.end(), [&](const ChatMessage& m) { return m.text == text; });
  }
  std::vector<std::uint64_t> ids() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::uint64_t> ids;
    for (const ChatMessage& message : messages_) ids.push_back(message.id);
    return ids;
  }

 private:
  std::mutex mu_;
  std::condition_variable arrived_;
  std::vector<ChatMessage> messages_;
};

// Holds a handler until the test opens it, or for kPatience at most, so that a failing test does
// not hang on a handler that never returns.
class Gate {
 public:
  void Pass() {
    std::unique_lock<std::mutex> lock(mu_);
    held_ = true;
    changed_.notify_all();
    changed_.wait_for(lock, kPatience, [&] { return open_; });
  }
  // Waits until a handler is held; false if none came in time.
  bool WaitUntilHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, kPatience, [&] { return held_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool held_ = false;
  bool open_ = false;
};

TEST_CASE("an observer sees every message in room order, direct messages included", "[embedding]") {
  TestServer server;
  Inbox seen;
  Result<std::unique_ptr<Observer>> observer = server.server().Observe(seen.Handler());
  REQUIRE(observer.ok());
  TestUser alice(server, "alice"), bob(server, "bob");
  alice.Say("hello room");
  alice.Say("@bob just between us");
  const std::uint64_t last = bob.Say("bye");
  REQUIRE(seen.WaitFor("bye").has_value());
  const std::optional<ChatMessage> direct = seen.WaitFor("@bob just between us");
  REQUIRE(direct.has_value());
  CHECK(direct->kind == MessageKind::kDirect);
  CHECK(seen.WaitFor("alice joined")->kind == MessageKind::kJoin);
  const std::vector<std::uint64_t> ids = seen.ids();
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(ids.back() == last);
}

TEST_CASE("a bot receives what a person would and speaks by Say", "[embedding]") {
  TestServer server;
  TestUser alice(server, "alice"), carol(server, "carol");
  Inbox heard;
  Result<std::unique_ptr<Bot>> bot = server.server().AddBot("helper", heard.ForBot());
  REQUIRE(bot.ok());
  CHECK((*bot)->name() == "helper");
  CHECK(IsRegistered(alice.client(), "helper"));
  CHECK(alice.WaitFor(HasText("helper joined")).has_value());

  alice.Say("anyone there?");
  REQUIRE(heard.WaitFor("anyone there?").has_value());
  const Result<std::uint64_t> answer = (*bot)->Say("@alice I am");
  REQUIRE(answer.ok());
  const std::optional<ChatMessage> reply = alice.WaitFor(HasId(*answer));
  REQUIRE(reply.has_value());
  CHECK(reply->from == "helper");
  CHECK(reply->kind == MessageKind::kDirect);

  // Direct messages between others pass the bot by. Its handler gets messages in room order, so
  // once the marker is there, the secret would have been too.
  carol.Say("@alice a secret");
  carol.Say("marker");
  REQUIRE(heard.WaitFor("marker").has_value());
  CHECK_FALSE(heard.Saw("@alice a secret"));
}

TEST_CASE("a bot's handler is given the bot, to answer with, from its very first message", "[embedding]") {
  TestServer server;
  TestUser alice(server, "alice");
  Result<std::unique_ptr<Bot>> echo = server.server().AddBot("echo", [](Bot& self, const ChatMessage& message) {
    if (message.kind == MessageKind::kJoin && message.from == self.name()) self.Say("hello, I am " + self.name());
    if (message.kind == MessageKind::kDirect && message.from != self.name()) {
      self.Say("@" + message.from + " " + std::string(ParseMention(message.text)->body));
    }
  });
  REQUIRE(echo.ok());
  CHECK(alice.WaitFor(HasText("hello, I am echo")).has_value());
  alice.Say("@echo ping");
  const std::optional<ChatMessage> answer = alice.WaitFor(HasText("@alice ping"));
  REQUIRE(answer.has_value());
  CHECK(answer->from == "echo");
}

TEST_CASE("a bot's name follows the rules of every name", "[embedding]") {
  TestServer server;
  TestUser alice(server, "alice");
  CHECK(server.server().AddBot("-bad", nullptr).status().code() == StatusCode::kInvalidArgument);
  CHECK(server.server().AddBot("ALICE", nullptr).status() ==
        Status(StatusCode::kAlreadyExists, "alice is taken; choose another name"));
  Result<std::unique_ptr<Bot>> bot = server.server().AddBot("helper", nullptr);
  REQUIRE(bot.ok());
  CHECK(alice.client().AddUser("Helper")->code == RegistrationCode::kTaken);
  CHECK((*bot)->Say("bell\a").status().code() == StatusCode::kInvalidArgument);
  // Another bot is somebody else too, in any case: it neither shares the name nor renames the first.
  for (const char* same : {"helper", "HELPER"}) {
    CHECK(server.server().AddBot(same, nullptr).status() ==
          Status(StatusCode::kAlreadyExists, "helper is taken; choose another name"));
  }
  CHECK(*alice.client().ListUsers() == std::vector<std::string>{"alice", "helper"});
}

TEST_CASE("a bot that goes frees its name, announced as a leave", "[embedding]") {
  TestServer server;
  TestUser alice(server, "alice");
  Result<std::unique_ptr<Bot>> bot = server.server().AddBot("helper", nullptr);
  REQUIRE(bot.ok());
  bot->reset();
  CHECK(alice.WaitFor(IsLeaveOf("helper")).has_value());
  CHECK(alice.client().AddUser("helper")->code == RegistrationCode::kAdded);
}

TEST_CASE("observers and bots may outlive the server, and are told it went", "[embedding]") {
  auto server = std::make_unique<TestServer>();
  std::promise<Status> ended;
  Result<std::unique_ptr<Observer>> observer =
      server->server().Observe(nullptr, [&ended](const Status& reason) { ended.set_value(reason); });
  REQUIRE(observer.ok());
  Result<std::unique_ptr<Bot>> bot = server->server().AddBot("helper", nullptr);
  REQUIRE(bot.ok());
  server.reset();
  auto end = ended.get_future();
  REQUIRE(end.wait_for(kPatience) == std::future_status::ready);
  CHECK(end.get().code() == StatusCode::kUnavailable);
  CHECK((*bot)->Say("hello?").status().code() == StatusCode::kUnavailable);
}

TEST_CASE("a bot's end handler is told UNAVAILABLE when the server shuts down", "[embedding]") {
  TestServer server;
  std::promise<Status> ended;
  Result<std::unique_ptr<Bot>> bot =
      server.server().AddBot("helper", nullptr, [&ended](const Status& reason) { ended.set_value(reason); });
  REQUIRE(bot.ok());
  server.server().Shutdown();
  auto end = ended.get_future();
  REQUIRE(end.wait_for(kPatience) == std::future_status::ready);
  CHECK(end.get() == Status(StatusCode::kUnavailable, kShuttingDownMessage));
  CHECK((*bot)->Say("hello?").status().code() == StatusCode::kUnavailable);
}

TEST_CASE("an observer that falls behind is ended with RESOURCE_EXHAUSTED and the room goes on", "[embedding]") {
  ServerOptions options = LoopbackOptions();
  options.max_queued_messages = 4;
  TestServer server(options);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<Status> ended;
  Result<std::unique_ptr<Observer>> observer = server.server().Observe(
      [released](const ChatMessage&) { released.wait(); },
      [&ended](const Status& reason) { ended.set_value(reason); });
  REQUIRE(observer.ok());
  TestUser alice(server, "alice");
  for (int i = 0; i < 10; ++i) alice.Say("message " + std::to_string(i));
  CHECK(alice.WaitFor(HasText("message 9")).has_value());
  CHECK(server.server().stats().evictions == 1);
  release.set_value();
  auto end = ended.get_future();
  REQUIRE(end.wait_for(kPatience) == std::future_status::ready);
  CHECK(end.get().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("a bot that falls behind is told RESOURCE_EXHAUSTED after what was queued, and loses its name",
          "[embedding]") {
  ServerOptions options = LoopbackOptions();
  options.max_queued_messages = 4;
  TestServer server(options);
  TestUser alice(server, "alice");
  Gate gate;
  Inbox heard;
  std::promise<Status> ended;
  bool handled_queue_first = false;  // written by the end handler before it sets `ended`
  Result<std::unique_ptr<Bot>> bot = server.server().AddBot(
      "slow",
      [&gate, record = heard.Handler()](Bot&, const ChatMessage& message) {
        record(message);
        gate.Pass();
      },
      [&](const Status& reason) {
        handled_queue_first = heard.Saw("message 3");
        ended.set_value(reason);
      });
  REQUIRE(bot.ok());
  REQUIRE(gate.WaitUntilHeld());  // on its own join, so its queue is empty
  // Messages 0 to 3 fill the queue; message 4 overflows it.
  for (int i = 0; i < 5; ++i) alice.Say("message " + std::to_string(i));
  CHECK(server.server().stats().evictions == 1);
  CHECK_FALSE(IsRegistered(alice.client(), "slow"));

  gate.Open();
  auto end = ended.get_future();
  REQUIRE(end.wait_for(kPatience) == std::future_status::ready);
  CHECK(end.get() == Status(StatusCode::kResourceExhausted, "too slow: the stream fell too far behind"));
  CHECK(handled_queue_first);
  CHECK_FALSE(heard.Saw("message 4"));
  CHECK((*bot)->Say("still here?").status().code() == StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace chat::testing
