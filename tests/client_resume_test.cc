// A Client's Listen stream resuming by itself after its connection is lost: through a TcpProxy that
// cuts the connection, and across a server restart.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "chat.grpc.pb.h"
#include "support/service_server.h"
#include "support/tcp_proxy.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

// What a Subscription's handlers were told, in order: "message ID", "interrupted", "resumed N",
// "ended CODE".
class Recorder {
 public:
  MessageHandler OnMessage() {
    return [this](const ChatMessage& message) {
      Add("message " + std::to_string(message.id), [&] { messages_.push_back(message); });
    };
  }
  EndHandler OnEnd() {
    return [this](const Status& reason) {
      Add("ended " + std::string(StatusCodeName(reason.code())), [&] { ended_ = reason; });
    };
  }
  ListenOptions Hooks(ListenOptions from = {}) {
    from.on_interrupted = [this](const Status&) { Add("interrupted", [] {}); };
    from.on_resumed = [this](std::size_t replayed) { Add("resumed " + std::to_string(replayed), [] {}); };
    return from;
  }

  // Each waits until it was recorded; false if it was not within kPatience.
  bool WaitForMessage(std::uint64_t id) {
    return WaitUntil([&] { return std::any_of(messages_.begin(), messages_.end(), HasId(id)); });
  }
  bool WaitForEvent(const std::string& event) {
    return WaitUntil([&] { return std::find(events_.begin(), events_.end(), event) != events_.end(); });
  }
  bool WaitForEnd() {
    return WaitUntil([&] { return ended_.has_value(); });
  }

  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<std::uint64_t> ids() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::uint64_t> ids;
    for (const ChatMessage& message : messages_) ids.push_back(message.id);
    return ids;
  }
  std::vector<ChatMessage> messages() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  std::optional<Status> ended() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }

 private:
  // `condition` runs under mu_.
  bool WaitUntil(const std::function<bool()>& condition) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, kPatience, condition);
  }

  void Add(std::string event, const std::function<void()>& record) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(std::move(event));
      record();
    }
    changed_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> events_;
  std::vector<ChatMessage> messages_;
  std::optional<Status> ended_;
};

// A registered Client whose connection goes through `proxy`.
std::unique_ptr<Client> ProxiedUser(const TcpProxy& proxy, const std::string& name,
                                    std::chrono::milliseconds resume_for = std::chrono::minutes(2)) {
  ClientOptions options;
  options.server_address = proxy.address();
  options.resume_for = resume_for;
  auto client = std::make_unique<Client>(options);
  const Result<Registration> added = client->AddUser(name);
  REQUIRE(added.status().ToString() == "OK");
  REQUIRE(added->code == RegistrationCode::kAdded);
  REQUIRE(client->has_session());
  return client;
}

// A server that loses a stream and then refuses to resume it as scripted: AddUser hands out a
// session; the first Subscribe opens, carries message #1 and ends UNAVAILABLE, as a lost connection
// does; each later Subscribe ends at once with the next status of `refusals` (the last repeats).
//
// Threading: gRPC's sync server runs each call on a thread of its own; subscribes_ is atomic and
// refusals_ is read only.
class ScriptedResumeService final : public Chat::Service {
 public:
  explicit ScriptedResumeService(std::vector<grpc::Status> refusals) : refusals_(std::move(refusals)) {}

  grpc::Status AddUser(grpc::ServerContext* /*context*/, const User* user, MessageResponse* response) override {
    response->set_code(MessageResponse::ADDED);
    response->set_msg("welcome, " + user->username());
    response->set_session("a-session-token");
    return grpc::Status::OK;
  }

  grpc::Status Subscribe(grpc::ServerContext* context, const ListenRequest* /*request*/,
                         grpc::ServerWriter<MessageBatch>* writer) override {
    const std::size_t call = subscribes_.fetch_add(1);
    if (call > 0) return refusals_[std::min(call - 1, refusals_.size() - 1)];
    context->AddInitialMetadata("chat-replay-count", "0");
    writer->SendInitialMetadata();
    MessageBatch batch;
    Message* said = batch.add_messages();
    said->set_id(1);
    said->set_msg("before the loss");
    said->mutable_user()->set_username("bob");
    writer->Write(batch);
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the connection was lost");
  }

  std::size_t subscribes() const { return subscribes_.load(); }

 private:
  const std::vector<grpc::Status> refusals_;
  std::atomic<std::size_t> subscribes_{0};
};

std::string MessageEvent(std::uint64_t id) { return "message " + std::to_string(id); }

TEST_CASE("a stream cut off by a lost connection resumes by itself and delivers what it missed, each once",
          "[client][resume]") {
  TestServer server;
  TcpProxy proxy(server.address());
  TestUser bob(server, "bob");
  const auto alice = ProxiedUser(proxy, "alice");
  Recorder seen;
  auto subscription = alice->Listen(seen.OnMessage(), seen.OnEnd(), seen.Hooks());
  REQUIRE(subscription.status().ToString() == "OK");
  const std::uint64_t before = bob.Say("before the cut");
  REQUIRE(seen.WaitForMessage(before));

  proxy.Cut();
  REQUIRE(seen.WaitForEvent("interrupted"));
  const std::vector<std::uint64_t> missed = {bob.Say("missed one"), bob.Say("missed two"), bob.Say("missed three")};
  // The name is held for the session meanwhile.
  CHECK(IsRegistered(bob.client(), "alice"));
  proxy.Restore();

  REQUIRE(seen.WaitForMessage(missed.back()));
  const std::uint64_t live = bob.Say("live again");
  REQUIRE(seen.WaitForMessage(live));
  const std::vector<std::string> events = seen.events();
  const auto cut_at = std::find(events.begin(), events.end(), "interrupted");
  CHECK(std::vector<std::string>(cut_at, events.end()) ==
        std::vector<std::string>{"interrupted", "resumed 3", MessageEvent(missed[0]), MessageEvent(missed[1]),
                                 MessageEvent(missed[2]), MessageEvent(live)});
  CHECK((*subscription)->last_id() == live);
  CHECK((*subscription)->replayed() == 0);
  CHECK_FALSE(seen.ended().has_value());
  CHECK(proxy.relayed() == 2);
}

TEST_CASE("a stream cut off twice resumes twice and never repeats a message", "[client][resume]") {
  TestServer server;
  TcpProxy proxy(server.address());
  TestUser bob(server, "bob");
  const auto alice = ProxiedUser(proxy, "alice");
  Recorder seen;
  auto subscription = alice->Listen(seen.OnMessage(), seen.OnEnd(), seen.Hooks());
  REQUIRE(subscription.ok());
  std::vector<std::uint64_t> said;
  for (int cut = 0; cut < 2; ++cut) {
    said.push_back(bob.Say("before cut " + std::to_string(cut)));
    REQUIRE(seen.WaitForMessage(said.back()));
    proxy.Cut();
    said.push_back(bob.Say("during cut " + std::to_string(cut)));
    proxy.Restore();
    REQUIRE(seen.WaitForMessage(said.back()));
  }
  std::vector<std::uint64_t> chat_ids;
  for (const ChatMessage& message : seen.messages()) {
    if (message.kind == MessageKind::kChat) chat_ids.push_back(message.id);
  }
  CHECK(chat_ids == said);
  const std::vector<std::string> events = seen.events();
  CHECK(std::count(events.begin(), events.end(), "interrupted") == 2);
  CHECK(std::count(events.begin(), events.end(), "resumed 1") == 2);
}

TEST_CASE("destroying a subscription while it resumes returns promptly, and no handler runs after",
          "[client][resume]") {
  TestServer server;
  TcpProxy proxy(server.address());
  const auto alice = ProxiedUser(proxy, "alice");
  Recorder seen;
  auto subscription = alice->Listen(seen.OnMessage(), seen.OnEnd(), seen.Hooks());
  REQUIRE(subscription.ok());
  proxy.Cut();
  REQUIRE(seen.WaitForEvent("interrupted"));

  const auto started = std::chrono::steady_clock::now();
  subscription->reset();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  const std::vector<std::string> events = seen.events();
  proxy.Restore();
  CHECK(events.back() == "interrupted");
  CHECK_FALSE(seen.ended().has_value());
}

TEST_CASE("a stream that cannot resume within resume_for ends with UNAVAILABLE", "[client][resume]") {
  TestServer server;
  TcpProxy proxy(server.address());
  const auto alice = ProxiedUser(proxy, "alice", std::chrono::milliseconds(1500));
  Recorder seen;
  auto subscription = alice->Listen(seen.OnMessage(), seen.OnEnd(), seen.Hooks());
  REQUIRE(subscription.ok());
  const auto cut_at = std::chrono::steady_clock::now();
  proxy.Cut();
  REQUIRE(seen.WaitForEnd());
  CHECK(std::chrono::steady_clock::now() - cut_at >= std::chrono::milliseconds(1500));
  CHECK(seen.ended()->code() == StatusCode::kUnavailable);
  CHECK(seen.events().back() == "ended UNAVAILABLE");
  CHECK(alice->has_session());  // nothing said the session was over
}

TEST_CASE("without resume_for a lost connection ends the stream at once, as without a session", "[client][resume]") {
  TestServer server;
  TcpProxy proxy(server.address());
  const auto alice = ProxiedUser(proxy, "alice", std::chrono::milliseconds(0));
  Recorder seen;
  auto subscription = alice->Listen(seen.OnMessage(), seen.OnEnd(), seen.Hooks());
  REQUIRE(subscription.ok());
  proxy.Cut();
  REQUIRE(seen.WaitForEnd());
  CHECK(seen.ended()->code() == StatusCode::kUnavailable);
  CHECK(seen.events() == std::vector<std::string>{"ended UNAVAILABLE"});
}

TEST_CASE("a restarted server has forgotten the session: the stream ends with UNAUTHENTICATED, and after "
          "registering again a stream after the last id starts with a gap",
          "[client][resume]") {
  auto first = std::make_unique<TestServer>();
  ServerOptions options = LoopbackOptions();
  options.address = first->address();
  ClientOptions client_options;
  client_options.server_address = options.address;
  Client alice(client_options);
  REQUIRE(alice.AddUser("alice")->code == RegistrationCode::kAdded);
  Recorder seen;
  auto subscription = alice.Listen(seen.OnMessage(), seen.OnEnd(), seen.Hooks());
  REQUIRE(subscription.ok());
  const std::uint64_t said = *alice.Send("before the restart");
  REQUIRE(seen.WaitForMessage(said));

  first.reset();
  REQUIRE(seen.WaitForEvent("interrupted"));
  TestServer second(options);
  REQUIRE(seen.WaitForEnd());
  CHECK(seen.ended()->code() == StatusCode::kUnauthenticated);
  CHECK_FALSE(alice.has_session());

  REQUIRE(alice.AddUser("alice")->code == RegistrationCode::kAdded);
  ListenOptions after;
  after.after_id = (*subscription)->last_id();
  Result<std::unique_ptr<MessageStream>> again = alice.Listen(after);
  REQUIRE(again.status().ToString() == "OK");
  CHECK((*again)->replayed() >= 1);
  const std::optional<ChatMessage> gap = (*again)->Next(kPatience);
  REQUIRE(gap.has_value());
  CHECK(gap->kind == MessageKind::kGap);
  CHECK(gap->id > said);
}

// gRPC resets the calls that reach a server after its Shutdown has begun, and the client sees a bare
// CANCELLED (the test above meets it now and then, when a resume attempt reaches the first server
// late in its shutdown). That is a server going away, not an answer: the resume goes on.
TEST_CASE("a resume attempt that a server going away answers with CANCELLED is tried again", "[client][resume]") {
  ScriptedResumeService service({grpc::Status(grpc::StatusCode::CANCELLED, ""),
                                 grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown or ended session")});
  ServiceServer server(&service);
  ClientOptions options;
  options.server_address = server.address();
  Client alice(options);
  REQUIRE(alice.AddUser("alice")->code == RegistrationCode::kAdded);
  Recorder seen;
  auto subscription = alice.Listen(seen.OnMessage(), seen.OnEnd(), seen.Hooks());
  REQUIRE(subscription.ok());

  REQUIRE(seen.WaitForEnd());
  CHECK(seen.ended()->code() == StatusCode::kUnauthenticated);
  CHECK(seen.events() == std::vector<std::string>{MessageEvent(1), "interrupted", "ended UNAUTHENTICATED"});
  CHECK(service.subscribes() == 3);
  CHECK_FALSE(alice.has_session());
}

}  // namespace
}  // namespace chat::testing
