// Stopping a server with open streams.
#include <future>

#include <catch2/catch.hpp>

#include "support/test_server.h"

namespace chat::testing {
namespace {

TEST_CASE("shutdown ends every open stream with UNAVAILABLE at once", "[server][shutdown]") {
  TestServer server;
  std::vector<std::unique_ptr<TestUser>> users;
  for (int i = 0; i < 10; ++i) users.push_back(std::make_unique<TestUser>(server, "user" + std::to_string(i)));

  // A grace period far longer than any test: streams that ended only when it ran out would end
  // CANCELLED, and the test would time out first.
  auto shutdown = std::async(std::launch::async, [&] { server.server().Shutdown(std::chrono::minutes(5)); });
  REQUIRE(shutdown.wait_for(kPatience) == std::future_status::ready);
  for (auto& user : users) {
    INFO(user->name());
    user->WaitFor([](const ChatMessage&) { return false; });  // returns when the stream has ended
    REQUIRE(user->stream().ended());
    CHECK(user->stream().status() == Status(StatusCode::kUnavailable, "the server is shutting down"));
  }
}

TEST_CASE("after shutdown calls fail with UNAVAILABLE, and shutting down again returns at once", "[server][shutdown]") {
  TestServer server;
  TestUser alice(server, "alice");
  server.server().Shutdown();
  CHECK(alice.client().Send("anyone?").status().code() == StatusCode::kUnavailable);
  server.server().Shutdown();
  server.server().Wait();
}

}  // namespace
}  // namespace chat::testing
