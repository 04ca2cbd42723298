// The server's counters, through the API and in the log.
#include <memory>

#include <catch2/catch.hpp>

#include "support/captured_log.h"
#include "support/flood.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

TEST_CASE("the counters follow users, subscribers, messages, deliveries and evictions", "[server][stats]") {
  ServerOptions options = LoopbackOptions();
  options.max_queued_messages = 64;
  TestServer server(options);
  TestUser alice(server, "alice"), bob(server, "bob");
  alice.Say("one");
  const std::uint64_t two = alice.Say("@bob two");
  bob.ReadThrough(two);
  alice.ReadThrough(two);

  ServerStats stats = server.server().stats();
  CHECK(stats.users == 2);
  CHECK(stats.subscribers == 2);
  CHECK(stats.streams == 2);
  CHECK(stats.messages == 2);
  // Every message written to a stream: alice sees bob join, both see "one", both see the DM.
  CHECK(Eventually([&] { return server.server().stats().deliveries == 5; }));

  StalledListener stalled(server, "stalled");
  FloodUntilEvicted(alice, "stalled", {&alice, &bob});
  stats = server.server().stats();
  CHECK(stats.evictions == 1);
  CHECK(stats.users == 2);
  CHECK(stats.subscribers == 2);
}

TEST_CASE("the counters are logged at info every stats_interval", "[server][stats]") {
  CapturedLog log(spdlog::level::info, 200);
  ServerOptions options = LoopbackOptions();
  options.stats_interval = std::chrono::seconds(1);
  {
    TestServer server(options);
    TestUser alice(server, "alice");
    alice.Say("counted");
    const auto logged = [&] {
      for (const std::string& line : log.lines()) {
        if (line.find("stats: 1 users, 1 subscribers, 1 streams, 1 messages") != std::string::npos) return true;
      }
      return false;
    };
    CHECK(Eventually(logged));
  }
}

}  // namespace
}  // namespace chat::testing
