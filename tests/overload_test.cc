// A server that cannot write as fast as it accepts refuses new messages, rather than let every
// stream fall behind and evict them all.
#include <catch2/catch.hpp>

#include "support/flood.h"
#include "support/slow_listener.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

TEST_CASE("when every stream falls behind, sending is refused as busy and nobody is evicted", "[server][overload]") {
  ServerOptions options = LoopbackOptions();
  options.max_queued_messages = 64;
  TestServer server(options);
  // Sixteen readers that keep reading, but slowly: the server's writes to them pile up, as when it
  // cannot keep up with its readers. Together they may queue 16 * 64 messages; beyond a quarter of
  // that the server is busy, while no stream has reached its own limit. Their writes keep coming
  // back, so none of them counts as stalled (busy_gate.h).
  std::vector<std::unique_ptr<PacedListener>> behind;
  for (int i = 0; i < 16; ++i) behind.push_back(std::make_unique<PacedListener>(server, "slow" + std::to_string(i), 20));
  RawChat sender(server.address());
  MessageResponse registered;
  REQUIRE(sender.AddUser("sender", &registered).ok());

  const std::string filler(3000, 'x');
  grpc::Status refused;
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (refused.ok()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    refused = sender.Send(filler, "");
  }
  CHECK(refused.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(refused.error_message() == "the server is busy; try again in a moment");
  CHECK(server.server().stats().evictions == 0);
  CHECK(server.server().stats().users == 17);
}

TEST_CASE("streams whose clients stopped reading do not make the server busy", "[server][overload][subscribe]") {
  const StreamRpc rpc = GENERATE(StreamRpc::kListen, StreamRpc::kSubscribe);
  INFO("the stalled streams are " << NameOf(rpc) << " streams");
  ServerOptions options = LoopbackOptions();
  options.max_queued_messages = 64;
  TestServer server(options);
  // The same sixteen streams, but not reading at all: once their writes have not come back for a
  // second they wait for their clients, not for the server, and are evicted by their own limit.
  std::vector<std::unique_ptr<SmallWindowStalledListener>> stalled;
  for (int i = 0; i < 16; ++i) {
    stalled.push_back(std::make_unique<SmallWindowStalledListener>(server, "stalled" + std::to_string(i), rpc));
  }
  TestUser sender(server, "sender");

  const std::string filler(3000, 'x');
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  std::size_t sent = 0;
  while (server.server().stats().evictions < 16) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    const Result<std::uint64_t> id = sender.client().Send(filler + " " + std::to_string(sent));
    if (id.ok()) {
      ++sent;
      REQUIRE(sender.ReadThrough(*id).back().id == *id);  // the reader keeps up, one message at a time
      continue;
    }
    // Busy only until the stalled streams' writes have been out a second: then they stop counting.
    REQUIRE(id.status() == Status(StatusCode::kResourceExhausted, "the server is busy; try again in a moment"));
  }
  CHECK(*sender.client().ListUsers() == std::vector<std::string>{"sender"});
}
}  // namespace
}  // namespace chat::testing
