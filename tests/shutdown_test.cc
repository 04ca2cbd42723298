// Stopping a server with open streams.
#include <atomic>
#include <future>
#include <stop_token>
#include <thread>

#include <catch2/catch.hpp>

#include "common/shutdown.h"
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
    CHECK(user->stream().status() == Status(StatusCode::kUnavailable, kShuttingDownMessage));
  }
}

TEST_CASE("shutdown under load: senders and subscribers busy, every client sees UNAVAILABLE", "[server][shutdown]") {
  TestServer server;
  std::vector<std::unique_ptr<TestUser>> users;
  for (int i = 0; i < 10; ++i) users.push_back(std::make_unique<TestUser>(server, "user" + std::to_string(i)));

  std::vector<Status> last_error(4);
  std::atomic<int> sent{0};
  // jthreads: however the test ends, a failed REQUIRE included, they are asked to stop and joined.
  std::vector<std::jthread> senders;
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back([&, i](std::stop_token stop) {
      while (!stop.stop_requested()) {
        const Result<std::uint64_t> id = users[i]->client().Send("load " + std::to_string(sent++));
        if (!id.ok()) {
          last_error[i] = id.status();
          return;
        }
      }
    });
  }
  REQUIRE(Eventually([&] { return sent > 500; }));  // the load is on

  // The server answers UNAVAILABLE itself for as long as calls keep coming (chat/server.h). These
  // senders call again the moment an answer arrives, so each meets that answer, not the transport's
  // refusal or the bare CANCELLED of a call that reached gRPC after it stopped accepting. That holds
  // while no sender pauses for 20 ms, which a gRPC slowed several times over (the lock-order pass in
  // scripts/test-sanitizers.sh) cannot promise: that pass leaves this test out.
  auto shutdown = std::async(std::launch::async, [&] { server.server().Shutdown(std::chrono::milliseconds(500)); });
  REQUIRE(shutdown.wait_for(kPatience) == std::future_status::ready);
  for (std::jthread& sender : senders) sender.join();  // each ends at its first error
  for (const Status& error : last_error) CHECK(error == Status(StatusCode::kUnavailable, kShuttingDownMessage));
  for (auto& user : users) {
    INFO(user->name());
    user->WaitFor([](const ChatMessage&) { return false; });
    REQUIRE(user->stream().ended());
    CHECK(user->stream().status().code() == StatusCode::kUnavailable);
  }
}

TEST_CASE("while the server shuts down, ListUsers answers UNAVAILABLE like every chat call", "[server][shutdown]") {
  // Calls that keep coming keep the server answering for half the grace period (chat/server.h), so
  // with a grace this long the loop below is answered by the server itself until it refuses, and
  // a server that went on listing users would keep it going past the test's patience. Should this
  // thread pause long enough (20 ms) for the server to stop taking calls, the answer is gRPC's own
  // (docs/protocol.md): UNAVAILABLE from the transport, or a bare CANCELLED for a call that came
  // just as gRPC stopped accepting. That shows nothing either way: the round is repeated on a
  // fresh server. That happens under the lock-order pass of scripts/test-sanitizers.sh, which
  // slows gRPC several times over: 2 rounds in 22 in one trial on a loaded machine.
  const Status shutting_down(StatusCode::kUnavailable, kShuttingDownMessage);
  const auto answered_by_grpc = [&](const Status& status) {
    return (status.code() == StatusCode::kUnavailable && status != shutting_down) ||
           status == Status(StatusCode::kCancelled, "CANCELLED");
  };
  Status refusal;
  for (int round = 0; round < 20; ++round) {
    TestServer server;
    TestUser alice(server, "alice");
    auto shutdown = std::async(std::launch::async, [&] { server.server().Shutdown(std::chrono::minutes(5)); });
    Result<std::vector<std::string>> users = alice.client().ListUsers();
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (users.ok() && std::chrono::steady_clock::now() < deadline) users = alice.client().ListUsers();
    refusal = users.status();  // OK when the patience ran out first
    REQUIRE(shutdown.wait_for(kPatience) == std::future_status::ready);
    if (!answered_by_grpc(refusal)) break;
  }
  CHECK(refusal == shutting_down);
}

TEST_CASE("after shutdown calls fail with UNAVAILABLE, and shutting down again returns at once", "[server][shutdown]") {
  TestServer server;
  TestUser alice(server, "alice");
  server.server().Shutdown();
  CHECK(alice.client().Send("anyone?").status().code() == StatusCode::kUnavailable);
  // "At once" is bounded, not timed: a second Shutdown or a Wait that hangs fails here.
  auto again = std::async(std::launch::async, [&] {
    server.server().Shutdown();
    server.server().Wait();
  });
  REQUIRE(again.wait_for(kPatience) == std::future_status::ready);
}

}  // namespace
}  // namespace chat::testing
