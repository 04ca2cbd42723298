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

TEST_CASE("a session is logged by its number and address, never by its token", "[room][log][sessions]") {
  CapturedLog log(spdlog::level::trace, 1000);
  RoomOptions options;
  options.max_rate = 0;
  options.history_messages = 2;  // so that a replay has a gap to say
  Room room(options);
  const Result<Registration> added = room.Register("ipv4:10.0.0.1:1", "alice");
  REQUIRE(added.ok());
  const std::string token = added->session;
  REQUIRE(token.size() == 64);
  const Caller alice("ipv4:10.0.0.9:9", token);
  FakeSubscriber stream;
  REQUIRE(room.Subscribe(alice, &stream).ok());
  for (int i = 0; i < 4; ++i) REQUIRE(room.Post(alice, "", "hi").ok());
  room.Unsubscribe(&stream);  // held
  FakeSubscriber back;
  REQUIRE(room.Subscribe(alice, &back, ListenFrom{1, 0}).ok());
  REQUIRE(room.Register(Caller("ipv4:10.0.0.9:9", token.substr(0, 63) + "x"), "mallory").status().code() ==
          StatusCode::kUnauthenticated);
  REQUIRE(room.Leave(alice).ok());

  const std::vector<std::string> lines = log.lines();
  const std::string held = "info holding alice (session 1, from ipv4:10.0.0.1) for its session: no stream left";
  CHECK(std::find(lines.begin(), lines.end(), held) != lines.end());
  for (const std::string& line : lines) {
    INFO(line);
    CHECK(line.find(token.substr(0, 16)) == std::string::npos);
    CHECK(line.find(token.substr(32, 16)) == std::string::npos);
  }
}

}  // namespace
}  // namespace chat
