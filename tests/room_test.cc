#include "room/room.h"

#include <algorithm>
#include <thread>

#include <catch2/catch.hpp>

#include "support/fake_clock.h"
#include "support/fake_subscriber.h"
#include "support/status_printer.h"

namespace chat {
namespace {

using testing::FakeClock;
using testing::FakeSubscriber;

RoomOptions TestOptions(FakeClock* clock) {
  RoomOptions options;
  options.registration_grace = std::chrono::seconds(30);
  options.max_rate = 0;  // the flood-control tests turn it on
  options.max_address_rate = 0;
  options.max_registration_rate = 0;
  options.steady_now = clock->Reader();
  return options;
}

// A room with alice, bob and carol registered on peers "pa", "pb", "pc", each listening.
struct ThreeUsers {
  FakeClock clock;
  Room room{TestOptions(&clock)};
  FakeSubscriber alice, bob, carol;

  ThreeUsers() {
    Join("pa", "alice", &alice);
    Join("pb", "bob", &bob);
    Join("pc", "carol", &carol);
  }
  std::vector<std::size_t> counts() const {
    return {alice.texts().size(), bob.texts().size(), carol.texts().size()};
  }
  void Join(const std::string& peer, const std::string& name, FakeSubscriber* subscriber) {
    REQUIRE(room.Register(peer, name)->code == RegistrationCode::kAdded);
    REQUIRE(room.Subscribe(peer, subscriber).ok());
  }
};

TEST_CASE("a name is taken ignoring case", "[room]") {
  FakeClock clock;
  Room room(TestOptions(&clock));
  CHECK(room.Register("p1", "Alice")->code == RegistrationCode::kAdded);
  const Result<Registration> second = room.Register("p2", "alice");
  CHECK(second->code == RegistrationCode::kTaken);
  CHECK(second->message == "Alice is taken; choose another name");
  CHECK(*room.Usernames() == std::vector<std::string>{"Alice"});
}

TEST_CASE("an invalid name gets kInvalid with the rule it breaks", "[room]") {
  FakeClock clock;
  Room room(TestOptions(&clock));
  const Result<Registration> registration = room.Register("p1", "-x");
  CHECK(registration->code == RegistrationCode::kInvalid);
  CHECK(registration->message == "invalid name: a name must start with a letter or a digit");
  CHECK(room.Usernames()->empty());
}

TEST_CASE("a broadcast reaches every subscriber, the sender's too, stamped with the sender's name", "[room]") {
  ThreeUsers room;
  const Result<std::uint64_t> id = room.room.Post("pa", "", "  hello all ");
  REQUIRE(id.ok());
  for (const FakeSubscriber* subscriber : {&room.alice, &room.bob, &room.carol}) {
    const MessagePtr last = subscriber->last();
    REQUIRE(last != nullptr);
    CHECK(last->id == *id);
    CHECK(last->kind == MessageKind::kChat);
    CHECK(last->from == "alice");
    CHECK(last->text == "hello all");
  }
}

TEST_CASE("@bob reaches bob and the sender and nobody else", "[room]") {
  ThreeUsers room;
  const Result<std::uint64_t> id = room.room.Post("pa", "", "@bob psst");
  REQUIRE(id.ok());
  for (const FakeSubscriber* subscriber : {&room.alice, &room.bob}) {
    const MessagePtr last = subscriber->last();
    CHECK(last->id == *id);
    CHECK(last->kind == MessageKind::kDirect);
    CHECK(last->from == "alice");
    CHECK(last->to == "bob");
    CHECK(last->text == "@bob psst");
  }
  CHECK(room.carol.ids_of(MessageKind::kDirect).empty());
}

TEST_CASE("@BOB finds bob ignoring case, and the message names him as he registered", "[room]") {
  ThreeUsers room;
  REQUIRE(room.room.Post("pa", "", "@BOB hi").ok());
  CHECK(room.bob.last()->to == "bob");
  CHECK(room.bob.last()->text == "@BOB hi");
}

TEST_CASE("a direct message to oneself arrives once", "[room]") {
  ThreeUsers room;
  const std::size_t before = room.alice.texts().size();
  REQUIRE(room.room.Post("pa", "", "@alice note to self").ok());
  CHECK(room.alice.texts().size() == before + 1);
}

TEST_CASE("refused messages are delivered to nobody", "[room]") {
  ThreeUsers room;
  const std::vector<std::size_t> before = room.counts();
  CHECK(room.room.Post("pa", "", "@ghost hi").status() == Status(StatusCode::kNotFound, "no such user: ghost"));
  CHECK(room.room.Post("pa", "", "@bob").status().code() == StatusCode::kInvalidArgument);
  CHECK(room.room.Post("pa", "", "@ bob hi").status().code() == StatusCode::kInvalidArgument);
  CHECK(room.room.Post("pa", "", "   ").status().code() == StatusCode::kInvalidArgument);
  CHECK(room.room.Post("pa", "", "bell\a").status().code() == StatusCode::kInvalidArgument);
  CHECK(room.room.Post("pa", "", std::string(4097, 'x')).status() ==
        Status(StatusCode::kInvalidArgument, "message too long (max 4096 bytes)"));
  CHECK(room.room.Post("pa", "bob", "I am bob").status().code() == StatusCode::kPermissionDenied);
  CHECK(room.room.Post("nobody", "", "hi").status().code() == StatusCode::kFailedPrecondition);
  CHECK(room.counts() == before);
}

TEST_CASE("a sender may name itself, in any case", "[room]") {
  ThreeUsers room;
  CHECK(room.room.Post("pa", "ALICE", "it is me").ok());
  CHECK(room.bob.last()->from == "alice");
}

TEST_CASE("registering and leaving are announced to the room", "[room]") {
  ThreeUsers room;
  FakeSubscriber dave;
  room.Join("pd", "dave", &dave);
  CHECK(room.alice.last()->kind == MessageKind::kJoin);
  CHECK(room.alice.last()->text == "dave joined");

  room.room.Unsubscribe(&dave);
  CHECK(room.alice.last()->kind == MessageKind::kLeave);
  CHECK(room.alice.last()->from == "dave");
  CHECK(room.alice.last()->text == "dave left");
  CHECK_FALSE(dave.close_reason().has_value());  // its stream ended by itself; the room does not close it
  CHECK(room.room.Register("px", "DAVE")->code == RegistrationCode::kAdded);
}

TEST_CASE("registering again swaps the name and frees the old one", "[room]") {
  ThreeUsers room;
  CHECK(room.room.Register("pa", "alicia")->code == RegistrationCode::kAdded);
  CHECK(room.bob.last()->kind == MessageKind::kNotice);
  CHECK(room.bob.last()->text == "alice is now known as alicia");
  CHECK(room.room.Register("px", "alice")->code == RegistrationCode::kAdded);
  REQUIRE(room.room.Post("pa", "", "hi").ok());
  CHECK(room.bob.last()->from == "alicia");
}

TEST_CASE("registering one's own name in another case changes only its spelling", "[room]") {
  ThreeUsers room;
  CHECK(room.room.Register("pa", "alice")->code == RegistrationCode::kAdded);  // unchanged: no notice
  CHECK(room.bob.last()->text == "carol joined");
  CHECK(room.room.Register("pa", "Alice")->code == RegistrationCode::kAdded);
  CHECK(room.bob.last()->text == "alice is now known as Alice");
}

TEST_CASE("a peer may listen on several streams, and keeps its name until the last one ends", "[room]") {
  ThreeUsers room;
  FakeSubscriber second;
  REQUIRE(room.room.Subscribe("pa", &second).ok());
  REQUIRE(room.room.Post("pb", "", "@alice to both of your windows").ok());
  CHECK(room.alice.last()->text == "@alice to both of your windows");
  CHECK(second.last()->text == "@alice to both of your windows");

  room.room.Unsubscribe(&room.alice);
  CHECK(room.room.Usernames()->size() == 3);
  REQUIRE(room.room.Post("pb", "", "still there?").ok());
  CHECK(second.last()->text == "still there?");
  room.room.Unsubscribe(&second);
  CHECK(*room.room.Usernames() == std::vector<std::string>{"bob", "carol"});
}

TEST_CASE("evicting one of a peer's streams leaves the others and the name", "[room]") {
  ThreeUsers room;
  FakeSubscriber cramped(1);
  REQUIRE(room.room.Subscribe("pa", &cramped).ok());
  REQUIRE(room.room.Post("pb", "", "one").ok());
  REQUIRE(room.room.Post("pb", "", "two").ok());
  REQUIRE(cramped.close_reason().has_value());
  CHECK(cramped.close_reason()->code() == StatusCode::kResourceExhausted);
  CHECK(room.room.Usernames()->size() == 3);
  CHECK(room.alice.last()->text == "two");
}

TEST_CASE("a peer may listen before registering, and gets direct messages once registered", "[room]") {
  ThreeUsers room;
  FakeSubscriber early;
  REQUIRE(room.room.Subscribe("pe", &early).ok());
  REQUIRE(room.room.Post("pa", "", "hello").ok());
  CHECK(early.last()->text == "hello");
  REQUIRE(room.room.Register("pe", "erin")->code == RegistrationCode::kAdded);
  REQUIRE(room.room.Post("pa", "", "@erin welcome").ok());
  CHECK(early.last()->text == "@erin welcome");
}

TEST_CASE("a case-only rename that overflows the caller's own stream frees the name and says so", "[room]") {
  FakeClock clock;
  Room room(TestOptions(&clock));
  FakeSubscriber watcher, cramped(2);
  REQUIRE(room.Subscribe("pw", &watcher).ok());
  REQUIRE(room.Subscribe("pa", &cramped).ok());
  REQUIRE(room.Register("pa", "alice")->code == RegistrationCode::kAdded);  // cramped takes the join: 1 of 2
  REQUIRE(room.Post("pa", "", "fills it").ok());                             // 2 of 2

  const Result<Registration> renamed = room.Register("pa", "ALICE");  // the notice overflows cramped
  CHECK(renamed.status() ==
        Status(StatusCode::kResourceExhausted,
               "too slow: your stream fell too far behind and was ended, and the name with it; listen and "
               "register again"));
  REQUIRE(cramped.close_reason().has_value());
  CHECK(cramped.close_reason()->code() == StatusCode::kResourceExhausted);
  CHECK(room.Usernames()->empty());
  CHECK(watcher.last()->text == "ALICE left (too slow)");
  CHECK(room.Register("pb", "alice")->code == RegistrationCode::kAdded);
}

TEST_CASE("a rename that overflows the caller's own stream frees the new name too", "[room]") {
  FakeClock clock;
  Room room(TestOptions(&clock));
  FakeSubscriber watcher, cramped(1);
  REQUIRE(room.Subscribe("pw", &watcher).ok());
  REQUIRE(room.Subscribe("pa", &cramped).ok());
  REQUIRE(room.Register("pa", "alice")->code == RegistrationCode::kAdded);  // 1 of 1

  CHECK(room.Register("pa", "alicia").status().code() == StatusCode::kResourceExhausted);
  CHECK(room.Usernames()->empty());
  CHECK(watcher.last()->text == "alicia left (too slow)");
}

TEST_CASE("a join that overflows the caller's own stream is not answered ADDED", "[room]") {
  FakeClock clock;
  Room room(TestOptions(&clock));
  FakeSubscriber cramped(1);
  REQUIRE(room.Subscribe("pa", &cramped).ok());
  REQUIRE(room.Register("pb", "bob")->code == RegistrationCode::kAdded);  // cramped takes bob's join: full

  CHECK(room.Register("pa", "alice").status().code() == StatusCode::kResourceExhausted);
  CHECK(*room.Usernames() == std::vector<std::string>{"bob"});
}

TEST_CASE("a subscriber that falls behind is evicted and the others get everything", "[room]") {
  FakeClock clock;
  Room room(TestOptions(&clock));
  FakeSubscriber fast, slow(5);
  REQUIRE(room.Register("pf", "fast")->code == RegistrationCode::kAdded);
  REQUIRE(room.Subscribe("pf", &fast).ok());
  REQUIRE(room.Register("ps", "slow")->code == RegistrationCode::kAdded);
  REQUIRE(room.Subscribe("ps", &slow).ok());

  std::vector<std::uint64_t> sent;
  for (int i = 0; i < 20; ++i) sent.push_back(*room.Post("pf", "", "message " + std::to_string(i)));

  REQUIRE(slow.close_reason().has_value());
  CHECK(slow.close_reason()->code() == StatusCode::kResourceExhausted);
  CHECK(slow.texts().size() == 5);
  CHECK(fast.ids_of(MessageKind::kChat) == sent);
  CHECK(fast.ids_of(MessageKind::kLeave).size() == 1);
  CHECK(*room.Usernames() == std::vector<std::string>{"fast"});
  room.Unsubscribe(&slow);  // its stream ending later changes nothing
  CHECK(*room.Usernames() == std::vector<std::string>{"fast"});
}

TEST_CASE("every subscriber sees the same order, however many send at once", "[room]") {
  FakeClock clock;
  Room room(TestOptions(&clock));
  std::vector<std::unique_ptr<FakeSubscriber>> subscribers;
  for (int i = 0; i < 4; ++i) {
    const std::string peer = "p" + std::to_string(i);
    subscribers.push_back(std::make_unique<FakeSubscriber>());
    REQUIRE(room.Register(peer, "user" + std::to_string(i))->code == RegistrationCode::kAdded);
    REQUIRE(room.Subscribe(peer, subscribers.back().get()).ok());
  }
  std::vector<std::thread> senders;
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back([&room, i] {
      for (int n = 0; n < 250; ++n) room.Post("p" + std::to_string(i), "", "n" + std::to_string(n));
    });
  }
  for (std::thread& sender : senders) sender.join();

  const std::vector<std::uint64_t> order = subscribers[0]->ids_of(MessageKind::kChat);
  CHECK(order.size() == 1000);
  CHECK(std::is_sorted(order.begin(), order.end()));
  for (const auto& subscriber : subscribers) CHECK(subscriber->ids_of(MessageKind::kChat) == order);
}

TEST_CASE("a name whose peer never listens expires after the grace period", "[room]") {
  FakeClock clock;
  std::vector<SteadyTime> deadlines;
  RoomOptions options = TestOptions(&clock);
  options.on_deadline = [&deadlines](SteadyTime deadline) { deadlines.push_back(deadline); };
  Room room(options);
  FakeSubscriber watcher;
  REQUIRE(room.Subscribe("pw", &watcher).ok());

  REQUIRE(room.Register("pq", "quiet")->code == RegistrationCode::kAdded);
  REQUIRE(room.Register("pl", "listener")->code == RegistrationCode::kAdded);
  FakeSubscriber listener;
  REQUIRE(room.Subscribe("pl", &listener).ok());
  REQUIRE(deadlines.size() == 2);
  CHECK(deadlines[0] == clock.now + std::chrono::seconds(30));

  clock.now += std::chrono::seconds(29);
  CHECK(room.ExpireDeadlines() == deadlines[0]);
  CHECK(room.Usernames()->size() == 2);

  clock.now += std::chrono::seconds(1);
  CHECK(room.ExpireDeadlines() == std::nullopt);
  CHECK(*room.Usernames() == std::vector<std::string>{"listener"});
  CHECK(watcher.last()->text == "quiet left (did not start listening)");
}

TEST_CASE("a user over the flood limit is refused and others are not slowed", "[room]") {
  FakeClock clock;
  RoomOptions options = TestOptions(&clock);
  options.max_rate = 2;
  options.max_burst = 3;
  Room room(options);
  FakeSubscriber watcher;
  REQUIRE(room.Subscribe("pw", &watcher).ok());
  REQUIRE(room.Register("pf", "flooder")->code == RegistrationCode::kAdded);
  REQUIRE(room.Register("pc", "calm")->code == RegistrationCode::kAdded);

  for (int i = 0; i < 3; ++i) CHECK(room.Post("pf", "", "burst").ok());
  const Status refused = room.Post("pf", "", "one too many").status();
  CHECK(refused == Status(StatusCode::kResourceExhausted, "sending too fast (at most 2 per second, bursts of 3)"));
  CHECK(room.Post("pc", "", "I am calm").ok());
  CHECK(room.Register("pf", "renamed").status().code() == StatusCode::kResourceExhausted);

  clock.now += std::chrono::milliseconds(500);  // one token back
  CHECK(room.Post("pf", "", "after a pause").ok());
  CHECK(room.Post("pf", "", "too soon").status().code() == StatusCode::kResourceExhausted);
  const std::vector<std::string> texts = watcher.texts();
  CHECK(std::count(texts.begin(), texts.end(), "burst") == 3);
  CHECK(std::count(texts.begin(), texts.end(), "one too many") == 0);
  CHECK(std::count(texts.begin(), texts.end(), "after a pause") == 1);
}

TEST_CASE("the room refuses registrations beyond its user limit", "[room]") {
  FakeClock clock;
  RoomOptions options = TestOptions(&clock);
  options.max_users = 2;
  Room room(options);
  REQUIRE(room.Register("p1", "one")->code == RegistrationCode::kAdded);
  REQUIRE(room.Register("p2", "two")->code == RegistrationCode::kAdded);
  CHECK(room.Register("p3", "three").status().code() == StatusCode::kResourceExhausted);
  CHECK(room.Register("p1", "uno")->code == RegistrationCode::kAdded);  // a rename needs no room
}

TEST_CASE("a closed room ends every stream with UNAVAILABLE and refuses everything", "[room]") {
  ThreeUsers room;
  room.room.Close(Status(StatusCode::kUnavailable, "bye"));
  for (const FakeSubscriber* subscriber : {&room.alice, &room.bob, &room.carol}) {
    REQUIRE(subscriber->close_reason().has_value());
    CHECK(subscriber->close_reason()->code() == StatusCode::kUnavailable);
  }
  FakeSubscriber late;
  CHECK(room.room.Subscribe("px", &late).status().code() == StatusCode::kUnavailable);
  CHECK(room.room.Register("px", "late").status().code() == StatusCode::kUnavailable);
  CHECK(room.room.Post("pa", "", "hi").status().code() == StatusCode::kUnavailable);
  CHECK(room.room.Usernames().status().code() == StatusCode::kUnavailable);
}

}  // namespace
}  // namespace chat
