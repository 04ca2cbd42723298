// The limits the room keeps per connection, per source address and in total, driven with a fake
// clock and fake subscribers. Peers are gRPC peer strings: "ipv4:10.0.0.1:1001" and
// "ipv4:10.0.0.1:1002" are two connections from one source address.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "room/room.h"
#include "support/fake_clock.h"
#include "support/fake_subscriber.h"
#include "support/status_printer.h"

namespace chat {
namespace {

using testing::FakeClock;
using testing::FakeSubscriber;

// The default rates (10 messages a second per connection, bursts of 20; 20 and 40 per address; a
// name a second per address, bursts of 10); the caps on names and streams open.
RoomOptions DefaultRates(FakeClock* clock) {
  RoomOptions options;
  options.max_names_per_address = 1000;
  options.max_streams_per_address = 1000;
  options.max_streams_per_connection = 1000;
  options.steady_now = clock->Reader();
  return options;
}

// Every limit off but the one a test sets.
RoomOptions Unlimited(FakeClock* clock) {
  RoomOptions options = DefaultRates(clock);
  options.max_rate = 0;
  options.max_address_rate = 0;
  options.max_registration_rate = 0;
  return options;
}

// Connection `port` of source address 10.0.0.`host`.
std::string Peer(int host, int port) { return "ipv4:10.0.0." + std::to_string(host) + ":" + std::to_string(port); }

std::string Name(int n) { return "user" + std::to_string(n); }

TEST_CASE("one address holds at most max_names_per_address names, whatever its connections", "[room][limits]") {
  FakeClock clock;
  RoomOptions options = Unlimited(&clock);
  options.max_names_per_address = 3;
  Room room(options);
  for (int port = 1; port <= 3; ++port) REQUIRE(room.Register(Peer(1, port), Name(port))->code == RegistrationCode::kAdded);

  CHECK(room.Register(Peer(1, 4), "one_too_many").status() ==
        Status(StatusCode::kResourceExhausted, "your address holds 3 names, the most it may"));
  CHECK(room.Register(Peer(2, 1), "elsewhere")->code == RegistrationCode::kAdded);
  CHECK(room.Register(Peer(1, 1), "renamed")->code == RegistrationCode::kAdded);  // a rename takes no more

  FakeSubscriber stream;  // a name is freed when its connection's last stream ends
  REQUIRE(room.Subscribe(Peer(1, 2), &stream).ok());
  room.Unsubscribe(&stream);
  CHECK(room.Register(Peer(1, 4), "now_there_is_room")->code == RegistrationCode::kAdded);
}

TEST_CASE("one address sends at most its own rate, however many connections and names it cycles", "[room][limits]") {
  FakeClock clock;
  RoomOptions options = DefaultRates(&clock);
  options.max_registration_rate = 0;
  Room room(options);
  FakeSubscriber watcher;
  REQUIRE(room.Subscribe(Peer(9, 1), &watcher).ok());

  // Each round a fresh connection and name, whose own bucket is full; the address's is shared.
  int accepted = 0;
  for (int round = 1; round <= 10; ++round) {
    const std::string peer = Peer(1, round);
    REQUIRE(room.Register(peer, Name(round))->code == RegistrationCode::kAdded);
    for (int i = 0; i < 20; ++i) accepted += room.Post(peer, "", "flood").ok() ? 1 : 0;
    FakeSubscriber stream;  // listen and go: the name is freed and the connection forgotten
    REQUIRE(room.Subscribe(peer, &stream).ok());
    room.Unsubscribe(&stream);
  }
  CHECK(accepted == 40);
  CHECK(room.stats().address_floods == 160);  // what the server's metrics count as flood refusals
  CHECK(room.stats().participant_floods == 0);
  CHECK(room.Post(Peer(9, 1), "", "").status().code() == StatusCode::kFailedPrecondition);  // others unaffected:
  REQUIRE(room.Register(Peer(9, 1), "calm")->code == RegistrationCode::kAdded);
  CHECK(room.Post(Peer(9, 1), "", "another address sends as usual").ok());

  REQUIRE(room.Register(Peer(1, 99), "again")->code == RegistrationCode::kAdded);
  CHECK(room.Post(Peer(1, 99), "", "still empty").status() ==
        Status(StatusCode::kResourceExhausted, "sending too fast from your address (at most 20 per second, bursts of 40)"));
  clock.now += std::chrono::seconds(1);  // 20 tokens back
  int after_a_second = 0;
  for (int i = 0; i < 40; ++i) after_a_second += room.Post(Peer(1, 99), "", "paced").ok() ? 1 : 0;
  CHECK(after_a_second == 20);
}

TEST_CASE("re-registering and renaming do not refill a connection's bucket", "[room][limits]") {
  FakeClock clock;
  RoomOptions options = Unlimited(&clock);
  options.max_rate = 1;
  options.max_burst = 3;
  Room room(options);
  const std::string peer = Peer(1, 1);
  REQUIRE(room.Register(peer, "alice")->code == RegistrationCode::kAdded);
  REQUIRE(room.Post(peer, "", "one").ok());
  REQUIRE(room.Post(peer, "", "two").ok());
  REQUIRE(room.Register(peer, "alice")->code == RegistrationCode::kAdded);   // the same name: nothing changes
  REQUIRE(room.Register(peer, "alicia")->code == RegistrationCode::kAdded);  // takes the last token
  CHECK(room.Post(peer, "", "three").status().code() == StatusCode::kResourceExhausted);
  CHECK(room.Register(peer, "ALICIA").status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("a connection that goes and comes back within its refill time finds its bucket as it left it", "[room][limits]") {
  FakeClock clock;
  RoomOptions options = Unlimited(&clock);
  options.max_rate = 1;
  options.max_burst = 2;
  Room room(options);
  const std::string peer = Peer(1, 1);
  FakeSubscriber first;
  REQUIRE(room.Subscribe(peer, &first).ok());
  REQUIRE(room.Register(peer, "alice")->code == RegistrationCode::kAdded);
  REQUIRE(room.Post(peer, "", "one").ok());
  REQUIRE(room.Post(peer, "", "two").ok());
  room.Unsubscribe(&first);  // name freed; the empty bucket is kept
  REQUIRE(room.Register(peer, "alice")->code == RegistrationCode::kAdded);
  CHECK(room.Post(peer, "", "three").status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("registrations are rate-limited per address, and so are join notices", "[room][limits]") {
  FakeClock clock;
  RoomOptions options = Unlimited(&clock);
  options.max_registration_rate = 1;
  options.max_registration_burst = 3;
  Room room(options);
  FakeSubscriber watcher;
  REQUIRE(room.Subscribe(Peer(9, 1), &watcher).ok());
  for (int port = 1; port <= 3; ++port) REQUIRE(room.Register(Peer(1, port), Name(port))->code == RegistrationCode::kAdded);
  CHECK(room.Register(Peer(1, 4), Name(4)).status() ==
        Status(StatusCode::kResourceExhausted, "taking names too fast from your address (at most 1 per second, bursts of 3)"));
  CHECK(room.Register(Peer(1, 1), "renamed").status() ==
        Status(StatusCode::kResourceExhausted, "changing names too fast from your address (at most 1 per second, bursts of 3)"));
  CHECK(watcher.ids_of(MessageKind::kJoin).size() == 3);
  CHECK(room.Register(Peer(2, 1), "elsewhere")->code == RegistrationCode::kAdded);

  clock.now += std::chrono::seconds(1);
  CHECK(room.Register(Peer(1, 4), Name(4))->code == RegistrationCode::kAdded);
  CHECK(watcher.ids_of(MessageKind::kJoin).size() == 5);
}

TEST_CASE("streams are capped per connection, per address and in total", "[room][limits]") {
  FakeClock clock;
  RoomOptions options = Unlimited(&clock);
  options.max_streams_per_connection = 2;
  options.max_streams_per_address = 3;
  options.max_streams = 5;
  Room room(options);
  std::vector<FakeSubscriber> streams(8);
  REQUIRE(room.Subscribe(Peer(1, 1), &streams[0]).ok());
  REQUIRE(room.Subscribe(Peer(1, 1), &streams[1]).ok());
  CHECK(room.Subscribe(Peer(1, 1), &streams[2]).status() ==
        Status(StatusCode::kResourceExhausted, "this connection has 2 streams open, the most it may"));
  REQUIRE(room.Subscribe(Peer(1, 2), &streams[2]).ok());
  CHECK(room.Subscribe(Peer(1, 3), &streams[3]).status() ==
        Status(StatusCode::kResourceExhausted, "your address has 3 streams open, the most it may"));
  REQUIRE(room.Subscribe(Peer(2, 1), &streams[3]).ok());
  REQUIRE(room.Subscribe(Peer(3, 1), &streams[4]).ok());
  CHECK(room.Subscribe(Peer(4, 1), &streams[5]).status() ==
        Status(StatusCode::kResourceExhausted, "the server has 5 streams open, the most it may; try again later"));
  CHECK(room.stats().subscribers == 5);

  room.Unsubscribe(&streams[0]);  // one freed: of the connection, its address and the room
  CHECK(room.Subscribe(Peer(1, 1), &streams[5]).ok());
  room.Unsubscribe(&streams[4]);
  CHECK(room.Subscribe(Peer(4, 1), &streams[6]).ok());
  REQUIRE(room.Register(Peer(1, 2), "reader")->code == RegistrationCode::kAdded);
  CHECK(streams[6].last()->text == "reader joined");  // refused streams got nothing, open ones everything
  CHECK(streams[7].last() == nullptr);
}

TEST_CASE("an evicted stream frees its place under every cap", "[room][limits]") {
  FakeClock clock;
  RoomOptions options = Unlimited(&clock);
  options.max_streams_per_connection = 1;
  options.max_streams_per_address = 1;
  options.max_streams = 2;
  Room room(options);
  FakeSubscriber cramped(1), reader, again;
  REQUIRE(room.Subscribe(Peer(1, 1), &cramped).ok());
  REQUIRE(room.Subscribe(Peer(2, 1), &reader).ok());
  REQUIRE(room.Register(Peer(2, 1), "reader")->code == RegistrationCode::kAdded);
  REQUIRE(room.Post(Peer(2, 1), "", "overflows cramped").ok());
  REQUIRE(cramped.close_reason().has_value());
  CHECK(room.Subscribe(Peer(1, 1), &again).ok());
}

TEST_CASE("connections and addresses that hold nothing are forgotten once their buckets are full again", "[room][limits]") {
  FakeClock clock;
  RoomOptions options = DefaultRates(&clock);
  std::vector<SteadyTime> deadlines;
  options.on_deadline = [&deadlines](SteadyTime deadline) { deadlines.push_back(deadline); };
  Room room(options);
  for (int port = 1; port <= 100; ++port) {  // 100 connections that listen and go
    FakeSubscriber stream;
    REQUIRE(room.Subscribe(Peer(1, port), &stream).ok());
    room.Unsubscribe(&stream);
  }
  CHECK(room.stats().peers == 0);  // their buckets were untouched, so full: nothing to keep
  CHECK(room.stats().sources == 0);

  REQUIRE(room.Register(Peer(1, 1), "alice")->code == RegistrationCode::kAdded);
  REQUIRE(room.Post(Peer(1, 1), "", "takes a token of each bucket").ok());
  FakeSubscriber stream;
  REQUIRE(room.Subscribe(Peer(1, 1), &stream).ok());
  room.Unsubscribe(&stream);  // the name is freed, the buckets are not full
  CHECK(room.stats().peers == 1);
  CHECK(room.stats().sources == 1);
  REQUIRE_FALSE(deadlines.empty());

  clock.now += std::chrono::milliseconds(999);
  room.ExpireDeadlines();
  CHECK(room.stats().sources == 1);  // the registration bucket needs a whole second
  clock.now += std::chrono::milliseconds(1);
  room.ExpireDeadlines();
  CHECK(room.stats().peers == 0);
  CHECK(room.stats().sources == 0);
}

}  // namespace
}  // namespace chat
