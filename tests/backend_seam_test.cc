// The server on a backend that answers from a thread of its own (support/threaded_backend.h), as
// one that keeps the room in another process does: every RPC still works, a completion-queue
// thread never waits for an answer, and shutdown and cancelled streams leave nothing behind.
#include <future>
#include <memory>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "common/shutdown.h"
#include "health.grpc.pb.h"
#include "server/server_with_backend.h"
#include "support/raw_chat.h"
#include "support/test_server.h"
#include "support/threaded_backend.h"

namespace chat::testing {
namespace {

// A server with one completion-queue thread on a ThreadedBackend.
class ThreadedServer {
 public:
  ThreadedServer() : server_(Start(&backend_)) {}

  TestServer& server() { return server_; }
  ThreadedBackend& backend() { return *backend_; }

 private:
  static std::unique_ptr<Server> Start(ThreadedBackend** backend) {
    ServerOptions options = LoopbackOptions();
    options.threads = 1;  // so that a thread waiting for the backend would stop the whole server
    auto started = ServerWithBackend::Start(options, [backend](RoomOptions room) -> Result<std::shared_ptr<RoomBackend>> {
      auto made = std::make_shared<ThreadedBackend>(std::move(room));
      *backend = made.get();
      return std::shared_ptr<RoomBackend>(made);
    });
    REQUIRE(started.status().ToString() == "OK");
    return std::move(started).value();
  }

  ThreadedBackend* backend_ = nullptr;  // the server's, which it keeps alive
  TestServer server_;
};

bool IsSentence(const std::optional<ChatMessage>& message, MessageKind kind, const std::string& text) {
  return message.has_value() && message->kind == kind && message->text == text;
}

TEST_CASE("every RPC is served when the backend answers from a thread of its own", "[server][backend]") {
  ThreadedServer threaded;
  TestUser alice(threaded.server(), "alice");
  TestUser bob(threaded.server(), "bob");

  const std::uint64_t hello = alice.Say("hello all");
  CHECK(bob.WaitFor([&](const ChatMessage& m) { return m.id == hello; })->text == "hello all");
  const std::uint64_t psst = alice.Say("@bob psst");
  const std::optional<ChatMessage> direct = bob.WaitFor([&](const ChatMessage& m) { return m.id == psst; });
  REQUIRE(direct.has_value());
  CHECK(direct->kind == MessageKind::kDirect);

  const Result<std::vector<std::string>> names = bob.client().ListUsers();
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"alice", "bob"});

  const Result<HistoryPage> page = bob.client().History(0, 10);
  REQUIRE(page.ok());
  REQUIRE(page->messages.size() >= 2);
  CHECK(page->messages[page->messages.size() - 2].id == hello);
  CHECK(page->messages.back().id == psst);

  bob.Leave();
  CHECK(IsSentence(alice.WaitFor([](const ChatMessage& m) { return m.kind == MessageKind::kLeave; }),
                   MessageKind::kLeave, "bob left"));
}

TEST_CASE("the completion-queue thread serves other calls while the backend has not answered",
          "[server][backend]") {
  ThreadedServer threaded;
  threaded.backend().Hold();
  auto client = threaded.server().NewClient();
  auto registration = std::async(std::launch::async, [&] { return client->AddUser("alice"); });
  REQUIRE(Eventually([&] { return threaded.backend().waiting() == 1; }));

  // The health service needs no backend: its answer comes through the same, only, queue thread.
  auto channel = grpc::CreateChannel(threaded.server().address(), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kPatience);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  REQUIRE(health->Check(&context, request, &response).ok());
  CHECK(response.status() == grpc::health::v1::HealthCheckResponse::SERVING);
  CHECK(registration.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);

  threaded.backend().Release();
  const Result<Registration> added = registration.get();
  REQUIRE(added.ok());
  CHECK(added->code == RegistrationCode::kAdded);
}

TEST_CASE("shutdown answers the calls still waiting for the backend with UNAVAILABLE", "[server][backend]") {
  ThreadedServer threaded;
  threaded.backend().Hold();
  auto client = threaded.server().NewClient();
  auto registration = std::async(std::launch::async, [&] { return client->AddUser("alice"); });
  REQUIRE(Eventually([&] { return threaded.backend().waiting() == 1; }));

  auto shutdown = std::async(std::launch::async, [&] { threaded.server().server().Shutdown(std::chrono::minutes(5)); });
  REQUIRE(shutdown.wait_for(kPatience) == std::future_status::ready);
  CHECK(registration.get().status() == Status(StatusCode::kUnavailable, kShuttingDownMessage));
}

TEST_CASE("a stream whose client goes before the backend accepted it is never subscribed, and is freed",
          "[server][backend]") {
  ThreadedServer threaded;
  threaded.backend().Hold();
  RawChat raw(threaded.server().address());
  auto context = raw.NewContext();
  auto reader = raw.stub().Listen(context.get(), ListenRequest());
  REQUIRE(Eventually([&] { return threaded.backend().waiting() == 1; }));
  context->TryCancel();
  CHECK(reader->Finish().error_code() == grpc::StatusCode::CANCELLED);

  threaded.backend().Release();
  // The call object is freed only once the backend's answer came back; the room never held it.
  CHECK(Eventually([&] { return threaded.server().server().stats().streams == 0; }));
  CHECK(threaded.backend().stats().subscribers == 0);
  CHECK(threaded.backend().waiting() == 0);
}

}  // namespace
}  // namespace chat::testing
