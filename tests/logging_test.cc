// What the room writes to the log: one info line per join, leave, rename and eviction, and one
// debug line per message.
#include <catch2/catch.hpp>

#include "room/room.h"
#include "support/captured_log.h"
#include "support/fake_subscriber.h"

namespace chat {
namespace {

using testing::CapturedLog;
using testing::FakeSubscriber;

TEST_CASE("joins, renames, leaves and evictions are logged at info, each message at debug", "[room][log]") {
  CapturedLog log;
  RoomOptions options;
  options.max_rate = 0;
  Room room(options);
  FakeSubscriber roomy(1000), cramped(2);
  REQUIRE(room.Register("ipv4:10.0.0.1:1", "alice")->code == RegistrationCode::kAdded);
  REQUIRE(room.Subscribe("ipv4:10.0.0.1:1", &roomy).ok());
  REQUIRE(room.Register("ipv4:10.0.0.2:2", "bob")->code == RegistrationCode::kAdded);
  REQUIRE(room.Subscribe("ipv4:10.0.0.2:2", &cramped).ok());
  REQUIRE(room.Register("ipv4:10.0.0.1:1", "alicia")->code == RegistrationCode::kAdded);
  REQUIRE(room.Post("ipv4:10.0.0.1:1", "", "@bob one").ok());
  REQUIRE(room.Post("ipv4:10.0.0.1:1", "", "two").ok());
  room.Unsubscribe(&roomy);

  const std::vector<std::string> lines = log.lines();
  const auto has = [&](const std::string& line) { return std::find(lines.begin(), lines.end(), line) != lines.end(); };
  CHECK(has("info join alice (ipv4:10.0.0.1:1)"));
  CHECK(has("info join bob (ipv4:10.0.0.2:2)"));
  CHECK(has("info rename alice -> alicia (ipv4:10.0.0.1:1)"));
  CHECK(has("debug message 4 direct from 'alicia' to 'bob' (8 bytes)"));
  CHECK(has("info evicted bob (ipv4:10.0.0.2:2): too slow"));
  CHECK(has("info leave bob (ipv4:10.0.0.2:2): too slow"));
  CHECK(has("info leave alicia (ipv4:10.0.0.1:1)"));
  const auto is_info = [](const std::string& line) { return line.rfind("info ", 0) == 0; };
  CHECK(std::count_if(lines.begin(), lines.end(), is_info) == 6);
}

}  // namespace
}  // namespace chat
