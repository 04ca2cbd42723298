// AddUser through a real server: codes, uniqueness under concurrency, renames, and names freed.

#include <catch2/catch.hpp>

#include "support/registration_race.h"
#include "support/reused_port.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

TEST_CASE("AddUser answers ADDED for a free name and TAKEN for one in use, ignoring case", "[server][register]") {
  TestServer server;
  auto first = server.NewClient();
  auto second = server.NewClient();
  const Result<Registration> added = first->AddUser("Alice");
  REQUIRE(added.ok());
  CHECK(added->code == RegistrationCode::kAdded);
  const Result<Registration> taken = second->AddUser("alice");
  REQUIRE(taken.ok());
  CHECK(taken->code == RegistrationCode::kTaken);
  CHECK(taken->message == "Alice is taken; choose another name");
}

TEST_CASE("AddUser answers INVALID, with an OK status and the rule, for a malformed name", "[server][register]") {
  TestServer server;
  auto client = server.NewClient();
  for (const char* name : {"", "-dash", "@bob", "two words", "abcdefghijklmnopqrstuvwxyz0123456", "caf\xc3\xa9"}) {
    INFO(name);
    const Result<Registration> registration = client->AddUser(name);
    REQUIRE(registration.ok());
    CHECK(registration->code == RegistrationCode::kInvalid);
    CHECK(registration->message.rfind("invalid name: ", 0) == 0);
  }
  CHECK(client->ListUsers()->empty());
}

TEST_CASE("50 concurrent registrations of one name give exactly one ADDED", "[server][register]") {
  TestServer server;
  const RaceOutcome race = RaceToRegister(server, 50, "popular");
  CHECK(race.added == 1);
  CHECK(race.taken == 49);
  CHECK(race.other == 0);
}

TEST_CASE("registering again swaps the name, announces it and frees the old one", "[server][register]") {
  TestServer server;
  TestUser alice(server, "alice");
  TestUser bob(server, "bob");
  const Result<Registration> renamed = alice.client().AddUser("alicia");
  REQUIRE(renamed.ok());
  CHECK(renamed->code == RegistrationCode::kAdded);
  CHECK(bob.WaitFor(HasText("alice is now known as alicia")).has_value());

  auto newcomer = server.NewClient();
  CHECK(newcomer->AddUser("alice")->code == RegistrationCode::kAdded);
  const std::uint64_t id = alice.Say("still me");
  const std::optional<ChatMessage> message = bob.WaitFor(HasId(id));
  REQUIRE(message.has_value());
  CHECK(message->from == "alicia");
}

TEST_CASE("a name is freed when its owner's stream ends, and the room is told", "[server][register]") {
  TestServer server;
  TestUser bob(server, "bob");
  TestUser dave(server, "dave");
  dave.Leave();
  const std::optional<ChatMessage> leave = bob.WaitFor(IsLeaveOf("dave"));
  REQUIRE(leave.has_value());
  CHECK(leave->text == "dave left");
  CHECK_FALSE(IsRegistered(bob.client(), "dave"));
  auto newcomer = server.NewClient();
  CHECK(newcomer->AddUser("dave")->code == RegistrationCode::kAdded);
}

TEST_CASE("a name whose owner never opens Listen is freed after the grace period, one that listens is kept",
          "[server][register]") {
  ServerOptions options = LoopbackOptions();
  // Long enough that bob, who registers and then listens at once, always makes it, even on a
  // loaded machine under a sanitizer; the test waits this long for quiet's name to go.
  options.registration_grace = std::chrono::seconds(1);
  TestServer server(options);
  TestUser bob(server, "bob");
  auto quiet = server.NewClient();
  REQUIRE(quiet->AddUser("quiet")->code == RegistrationCode::kAdded);

  const std::optional<ChatMessage> leave = bob.WaitFor(IsLeaveOf("quiet"));
  REQUIRE(leave.has_value());
  CHECK(leave->text == "quiet left (did not start listening)");
  CHECK_FALSE(IsRegistered(bob.client(), "quiet"));
  // Its session ended with the name: the Client learns so, and forgets it.
  CHECK(quiet->Send("anyone?").status().code() == StatusCode::kUnauthenticated);
  CHECK(quiet->Send("anyone?").status().code() == StatusCode::kFailedPrecondition);

  // bob registered before quiet, so his grace period is over too; he listened, so he stays. A
  // message sent now comes after any leave of his in the room order.
  const std::vector<ChatMessage> seen = bob.ReadThrough(bob.Say("am I still here?"));
  CHECK(std::none_of(seen.begin(), seen.end(), IsLeaveOf("bob")));
  CHECK(IsRegistered(bob.client(), "bob"));
}

TEST_CASE("a connection from the address and port of a closed one is somebody new", "[server][register]") {
  // The workshop's clients are known by their connection's peer string. A new connection that
  // gets a closed one's port (the kernel reuses ports; a NAT shares one address among many people)
  // must not inherit the name the closed one registered.
  TestServer server;
  auto observer = server.NewClient();
  CheckReusedPortIsSomebodyNew(server.address(), *observer);
}

TEST_CASE("ListUsers lists the registered names sorted ignoring case", "[server][register]") {
  TestServer server;
  std::vector<std::unique_ptr<Client>> clients;
  for (const char* name : {"carol", "Bob", "alice"}) {
    clients.push_back(server.NewClient());
    REQUIRE(clients.back()->AddUser(name)->code == RegistrationCode::kAdded);
  }
  const Result<std::vector<std::string>> users = clients.front()->ListUsers();
  REQUIRE(users.ok());
  CHECK(*users == std::vector<std::string>{"alice", "Bob", "carol"});
}

}  // namespace
}  // namespace chat::testing
