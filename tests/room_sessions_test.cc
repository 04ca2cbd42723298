// Sessions, replays and history as the room keeps them (room.h), with fake subscribers and a fake
// clock.
#include <algorithm>
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

RoomOptions SessionOptions(FakeClock* clock) {
  RoomOptions options;
  options.max_rate = 0;
  options.max_address_rate = 0;
  options.max_registration_rate = 0;
  options.session_hold = std::chrono::minutes(2);
  options.steady_now = clock->Reader();
  return options;
}

// Registers `name` from `peer` and returns the session token.
std::string Join(Room& room, const std::string& peer, const std::string& name) {
  const Result<Registration> added = room.Register(peer, name);
  REQUIRE(added.ok());
  REQUIRE(added->code == RegistrationCode::kAdded);
  return added->session;
}

std::vector<std::uint64_t> Ids(const FakeSubscriber& subscriber) {
  std::vector<std::uint64_t> ids;
  for (MessageKind kind : {MessageKind::kChat, MessageKind::kDirect, MessageKind::kJoin, MessageKind::kLeave,
                           MessageKind::kNotice, MessageKind::kGap}) {
    const std::vector<std::uint64_t> of_kind = subscriber.ids_of(kind);
    ids.insert(ids.end(), of_kind.begin(), of_kind.end());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_CASE("AddUser answers an unguessable token, and the token is the session from any connection", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  const std::string alice = Join(room, "pa", "alice");
  const std::string bob = Join(room, "pb", "bob");
  CHECK(alice.size() == 64);
  CHECK(alice.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(alice != bob);
  // The same registration again from the same session answers the same token.
  CHECK(room.Register(Caller("pa2", alice), "alice")->session == alice);

  FakeSubscriber listener;
  REQUIRE(room.Subscribe("pc", &listener).ok());
  REQUIRE(room.Post(Caller("elsewhere", alice), "", "from another connection").ok());
  CHECK(listener.last()->from == "alice");
}

TEST_CASE("an unknown, malformed or ended token is UNAUTHENTICATED on every call", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  const std::string alice = Join(room, "pa", "alice");
  std::string forged = alice;
  forged.back() = forged.back() == '0' ? '1' : '0';  // the right key, a wrong secret
  FakeSubscriber stream;
  for (const std::string& token : {forged, std::string("nonsense"), std::string(), std::string(64, 'g')}) {
    const Caller caller("px", token);
    CHECK(room.Register(caller, "mallory").status().code() == StatusCode::kUnauthenticated);
    CHECK(room.Post(caller, "", "hi").status().code() == StatusCode::kUnauthenticated);
    CHECK(room.Subscribe(caller, &stream).status().code() == StatusCode::kUnauthenticated);
    CHECK(room.History(caller, 0, 10).status().code() == StatusCode::kUnauthenticated);
    CHECK(room.Leave(caller).status().code() == StatusCode::kUnauthenticated);
    CHECK(room.CheckSession(caller).code() == StatusCode::kUnauthenticated);
  }
  CHECK(room.Register(Caller("px", forged), "x").status().message() ==
        "unknown or ended session: register again with AddUser, without the chat-session metadata");
  CHECK(*room.Usernames() == std::vector<std::string>{"alice"});
}

TEST_CASE("a session's name is held for its token after its last stream, then freed", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  FakeSubscriber watcher;
  Join(room, "pw", "watcher");
  REQUIRE(room.Subscribe("pw", &watcher).ok());
  const std::string token = Join(room, "pa", "alice");
  FakeSubscriber first;
  REQUIRE(room.Subscribe(Caller("pa", token), &first).ok());
  room.Unsubscribe(&first);  // the connection is lost

  CHECK(room.stats().held == 1);
  CHECK(room.Register("pz", "alice")->code == RegistrationCode::kTaken);
  CHECK(room.Register("pz", "ALICE")->code == RegistrationCode::kTaken);
  CHECK(watcher.texts().back() == "alice joined");  // nobody was told she left

  clock.now += std::chrono::seconds(119);
  room.ExpireDeadlines();
  // Back on another connection, with the token: the name is still hers.
  CHECK(room.Register(Caller("pa-again", token), "alice")->code == RegistrationCode::kAdded);
  FakeSubscriber second;
  REQUIRE(room.Subscribe(Caller("pa-again", token), &second).ok());
  room.Unsubscribe(&second);

  clock.now += std::chrono::minutes(2);
  room.ExpireDeadlines();
  CHECK(watcher.texts().back() == "alice left (connection lost)");
  CHECK(room.Post(Caller("pa-again", token), "", "hi").status().code() == StatusCode::kUnauthenticated);
  CHECK(room.Register("pz", "alice")->code == RegistrationCode::kAdded);
  CHECK(room.stats().sessions == 2);  // watcher's and the new alice's
}

TEST_CASE("a client that never presents its token keeps the workshop's rule", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  Join(room, "pa", "alice");
  FakeSubscriber stream;
  REQUIRE(room.Subscribe("pa", &stream).ok());
  room.Unsubscribe(&stream);
  CHECK(room.Usernames()->empty());
  CHECK(room.stats().sessions == 0);
}

TEST_CASE("once a session is in use, its first connection's peer no longer speaks for it", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  const std::string token = Join(room, "pa", "alice");
  REQUIRE(room.Post(Caller("pa", token), "", "hi").ok());
  // A later connection that happens to get the same peer string is somebody else.
  CHECK(room.Post("pa", "", "hi").status().code() == StatusCode::kFailedPrecondition);
  CHECK(room.Register("pa", "alice")->code == RegistrationCode::kTaken);
}

TEST_CASE("a new connection with a closed one's peer string is somebody new, not the one before", "[sessions]") {
  FakeClock clock;
  RoomOptions options = SessionOptions(&clock);
  options.registration_grace = std::chrono::seconds(30);
  Room room(options);
  FakeSubscriber watcher;
  REQUIRE(room.Subscribe("pw", &watcher).ok());
  const std::string token = Join(room, "pa", "alice");  // registered, not listening yet, and gone

  room.ConnectionOpened("pa");
  CHECK(room.Post("pa", "", "hi").status().code() == StatusCode::kFailedPrecondition);
  CHECK(room.Leave("pa").status().code() == StatusCode::kFailedPrecondition);
  const Result<Registration> bob = room.Register("pa", "bob");
  REQUIRE(bob.ok());
  CHECK(bob->code == RegistrationCode::kAdded);
  CHECK(bob->session != token);
  CHECK(*room.Usernames() == std::vector<std::string>{"alice", "bob"});
  CHECK(watcher.last()->text == "bob joined");  // a join, not a rename of alice

  // alice's name waits out its grace for her token, from whichever connection it comes.
  FakeSubscriber alice_stream;
  REQUIRE(room.Subscribe(Caller("pa2", token), &alice_stream).ok());
  REQUIRE(room.Post(Caller("pa2", token), "", "still me").ok());
  CHECK(watcher.last()->from == "alice");
  clock.now += std::chrono::minutes(1);
  room.ExpireDeadlines();
  CHECK(*room.Usernames() == std::vector<std::string>{"alice"});  // bob never listened
}

TEST_CASE("a closed connection's name that nobody claims by token goes at the end of its grace", "[sessions]") {
  FakeClock clock;
  RoomOptions options = SessionOptions(&clock);
  options.registration_grace = std::chrono::seconds(30);
  Room room(options);
  FakeSubscriber watcher;
  REQUIRE(room.Subscribe("pw", &watcher).ok());
  Join(room, "pa", "alice");
  room.ConnectionOpened("pa");
  room.ConnectionOpened("pb");  // a peer the room never heard of: nothing to let go
  clock.now += std::chrono::seconds(30);
  room.ExpireDeadlines();
  CHECK(room.Usernames()->empty());
  CHECK(watcher.last()->text == "alice left (did not start listening)");
  CHECK(room.stats().peers == 1);  // the watcher's connection alone
}

TEST_CASE("Leave frees the name at once, ends the streams with OK, and the token is refused after", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  FakeSubscriber watcher;
  Join(room, "pw", "watcher");
  REQUIRE(room.Subscribe("pw", &watcher).ok());
  const std::string token = Join(room, "pa", "alice");
  FakeSubscriber one, two;
  REQUIRE(room.Subscribe(Caller("pa", token), &one).ok());
  REQUIRE(room.Subscribe(Caller("pb", token), &two).ok());

  const Result<std::string> goodbye = room.Leave(Caller("pa", token));
  REQUIRE(goodbye.ok());
  CHECK(*goodbye == "goodbye, alice");
  for (const FakeSubscriber* stream : {&one, &two}) {
    REQUIRE(stream->close_reason().has_value());
    CHECK(stream->close_reason()->code() == StatusCode::kOk);
  }
  CHECK(watcher.texts().back() == "alice left");
  CHECK(*room.Usernames() == std::vector<std::string>{"watcher"});
  CHECK(room.stats().subscribers == 1);

  CHECK(room.Leave(Caller("pa", token)).status().code() == StatusCode::kUnauthenticated);
  CHECK(room.Register(Caller("pa", token), "alice").status().code() == StatusCode::kUnauthenticated);
  CHECK(room.Leave("nobody").status() == Status(StatusCode::kFailedPrecondition, "you have no name to leave"));
}

TEST_CASE("history replays the caller's last messages, then live ones, none missed or repeated", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  const std::string alice = Join(room, "pa", "alice");
  for (int i = 0; i < 10; ++i) REQUIRE(room.Post(Caller("pa", alice), "", "m" + std::to_string(i)).ok());
  FakeSubscriber late;
  const Result<std::size_t> replayed = room.Subscribe("pl", &late, ListenFrom{0, 3});
  REQUIRE(replayed.ok());
  CHECK(*replayed == 3);
  REQUIRE(room.Post(Caller("pa", alice), "", "live").ok());
  CHECK(late.texts() == std::vector<std::string>{"m7", "m8", "m9", "live"});
}

TEST_CASE("after_id replays every message after it that the caller may see", "[sessions]") {
  FakeClock clock;
  RoomOptions options = SessionOptions(&clock);
  options.first_id = 1000;
  Room room(options);
  const std::string alice = Join(room, "pa", "alice");  // 1000: join
  const std::string bob = Join(room, "pb", "bob");      // 1001: join
  FakeSubscriber bobs_stream;
  REQUIRE(room.Subscribe(Caller("pb", bob), &bobs_stream).ok());
  const std::uint64_t seen = *room.Post(Caller("pa", alice), "", "before");
  room.Unsubscribe(&bobs_stream);  // bob's connection is lost; his session holds his name
  const std::uint64_t missed = *room.Post(Caller("pa", alice), "", "while away");
  REQUIRE(room.Post(Caller("pa", alice), "", "@bob psst").ok());
  Join(room, "pc", "carol");

  FakeSubscriber back;
  const Result<std::size_t> replayed = room.Subscribe(Caller("pb2", bob), &back, ListenFrom{seen, 0});
  REQUIRE(replayed.ok());
  CHECK(*replayed == 3);
  REQUIRE(room.Post(Caller("pa", alice), "", "live").ok());
  CHECK(back.texts() == std::vector<std::string>{"while away", "@bob psst", "carol joined", "live"});
  const std::vector<std::uint64_t> ids = Ids(back);
  CHECK(ids.front() == missed);
  for (std::size_t i = 1; i < ids.size(); ++i) CHECK(ids[i] == ids[i - 1] + 1);
  const Room::Stats stats = room.stats();
  CHECK(stats.resumes == 1);
  CHECK(stats.gaps == 0);
  CHECK(stats.sequenced[static_cast<std::size_t>(MessageKind::kChat)] == 3);
  CHECK(stats.sequenced[static_cast<std::size_t>(MessageKind::kDirect)] == 1);
  CHECK(stats.sequenced[static_cast<std::size_t>(MessageKind::kJoin)] == 3);
}

TEST_CASE("a replay that reaches past the kept history begins with a GAP saying how many", "[sessions]") {
  FakeClock clock;
  RoomOptions options = SessionOptions(&clock);
  options.history_messages = 3;
  Room room(options);
  const std::string alice = Join(room, "pa", "alice");  // 1
  for (int i = 0; i < 6; ++i) REQUIRE(room.Post(Caller("pa", alice), "", "m" + std::to_string(i)).ok());  // 2..7
  FakeSubscriber back;
  REQUIRE(*room.Subscribe(Caller("pa", alice), &back, ListenFrom{1, 0}) == 4);
  const std::vector<std::string> texts = back.texts();
  REQUIRE(texts.size() == 4);
  CHECK(texts[0] == "3 messages of the room after #1 were missed: the server no longer keeps them");
  CHECK(back.ids_of(MessageKind::kGap) == std::vector<std::uint64_t>{4});
  CHECK(std::vector<std::string>(texts.begin() + 1, texts.end()) == std::vector<std::string>{"m3", "m4", "m5"});
  CHECK(room.stats().resumes == 1);
  CHECK(room.stats().gaps == 1);
}

TEST_CASE("an id from before the room began is a GAP for a restart", "[sessions]") {
  FakeClock clock;
  RoomOptions options = SessionOptions(&clock);
  options.first_id = 5000;
  Room room(options);
  Join(room, "pa", "alice");
  FakeSubscriber back;
  REQUIRE(room.Subscribe("pa", &back, ListenFrom{4000, 0}).ok());
  CHECK(back.texts().front() == "the server restarted since #4000: what was said before the restart is lost");
  CHECK(back.ids_of(MessageKind::kGap) == std::vector<std::uint64_t>{4999});
  CHECK(back.ids_of(MessageKind::kJoin) == std::vector<std::uint64_t>{5000});
}

TEST_CASE("Listen refuses a replay beyond the limits with the right status", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  Join(room, "pa", "alice");  // id 1
  FakeSubscriber stream;
  CHECK(room.Subscribe("pa", &stream, ListenFrom{2, 0}).status() ==
        Status(StatusCode::kOutOfRange, "after_id 2 is beyond the latest message, #1"));
  CHECK(room.Subscribe("pa", &stream, ListenFrom{0, 501}).status() ==
        Status(StatusCode::kInvalidArgument, "history asks for 501 messages; at most 500 may be replayed"));
  CHECK(room.Subscribe("pa", &stream, ListenFrom{1, 5}).status().code() == StatusCode::kInvalidArgument);
  CHECK(room.stats().subscribers == 0);
  CHECK(room.Subscribe("pa", &stream, ListenFrom{0, 500}).ok());
}

TEST_CASE("History pages the caller's messages and refuses strangers and bad limits", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  const std::string alice = Join(room, "pa", "alice");
  for (int i = 0; i < 5; ++i) REQUIRE(room.Post(Caller("pa", alice), "", "m" + std::to_string(i)).ok());
  const Result<MessageHistory::Page> page = room.History(Caller("pa", alice), 0, 2);
  REQUIRE(page.ok());
  REQUIRE(page->messages.size() == 2);
  CHECK(page->messages[0]->text == "m3");
  CHECK(page->messages[1]->text == "m4");
  CHECK_FALSE(page->complete);
  CHECK(room.History(Caller("pa", alice), page->messages[0]->id, 100)->complete);

  CHECK(room.History("stranger", 0, 10).status() ==
        Status(StatusCode::kFailedPrecondition, "register first: call AddUser with a name"));
  CHECK(room.History(Caller("pa", alice), 0, 0).status() ==
        Status(StatusCode::kInvalidArgument, "limit must be 1 to 500, not 0"));
  CHECK(room.History(Caller("pa", alice), 0, 501).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a later owner of a name never sees the earlier owner's direct messages", "[sessions]") {
  FakeClock clock;
  Room room(SessionOptions(&clock));
  const std::string first_alice = Join(room, "pa", "alice");
  const std::string bob = Join(room, "pb", "bob");
  REQUIRE(room.Post(Caller("pb", bob), "", "@alice the secret").ok());
  REQUIRE(room.Post(Caller("pa", first_alice), "", "@bob my secret").ok());
  REQUIRE(room.Leave(Caller("pa", first_alice)).ok());

  const std::string second_alice = Join(room, "pa", "alice");  // the same connection, even
  FakeSubscriber replay;
  REQUIRE(room.Subscribe(Caller("pa", second_alice), &replay, ListenFrom{0, 500}).ok());
  for (const std::string& text : replay.texts()) CHECK(text.find("secret") == std::string::npos);
  const Result<MessageHistory::Page> page = room.History(Caller("pa", second_alice), 0, 500);
  REQUIRE(page.ok());
  for (const MessagePtr& message : page->messages) {
    CHECK(message->kind != MessageKind::kDirect);
  }
  // Bob, who was in both, still has both.
  FakeSubscriber bobs;
  REQUIRE(room.Subscribe(Caller("pb", bob), &bobs, ListenFrom{0, 500}).ok());
  CHECK(bobs.ids_of(MessageKind::kDirect).size() == 2);
}

}  // namespace
}  // namespace chat
