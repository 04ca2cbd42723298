// A server that cannot write as fast as it accepts refuses new messages, rather than let every
// stream fall behind and evict them all.
#include <catch2/catch.hpp>

#include "support/flood.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

TEST_CASE("when every stream falls behind, sending is refused as busy and nobody is evicted", "[server][overload]") {
  ServerOptions options = LoopbackOptions();
  options.max_queued_messages = 64;
  TestServer server(options);
  // Sixteen streams that do not read: the server's writes to them pile up, as when it cannot keep
  // up with its readers. Together they may queue 16 * 64 messages; beyond a quarter of that the
  // server is busy, while no stream has reached its own limit.
  std::vector<std::unique_ptr<StalledListener>> behind;
  for (int i = 0; i < 16; ++i) behind.push_back(std::make_unique<StalledListener>(server, "slow" + std::to_string(i)));
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

}  // namespace
}  // namespace chat::testing
