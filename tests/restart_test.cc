// What a client finds after the server restarts.
#include <catch2/catch.hpp>

#include "support/test_server.h"

namespace chat::testing {
namespace {

TEST_CASE("a client registering again after a server restart gets its name back", "[server][restart]") {
  auto first = std::make_unique<TestServer>();
  ServerOptions options = LoopbackOptions();
  options.address = "127.0.0.1:" + std::to_string(first->server().port());
  ClientOptions client_options;
  client_options.server_address = options.address;
  Client alice(client_options);
  REQUIRE(alice.AddUser("alice")->code == RegistrationCode::kAdded);
  Result<std::unique_ptr<MessageStream>> stream = alice.Listen();
  REQUIRE(stream.ok());

  first.reset();
  // alice's join was announced before her stream opened, and nothing was said since: the stream
  // gets no message, only its end.
  const std::optional<ChatMessage> unexpected = (*stream)->Next(kPatience);
  CHECK_FALSE(unexpected.has_value());
  REQUIRE((*stream)->ended());
  CHECK((*stream)->status().code() == StatusCode::kUnavailable);

  TestServer second(options);
  // The same Client, so the same channel: it reconnects by itself, after its backoff.
  CHECK(Eventually([&] {
    const Result<Registration> again = alice.AddUser("alice");
    return again.ok() && again->code == RegistrationCode::kAdded;
  }));
  CHECK(alice.Listen().ok());
}

}  // namespace
}  // namespace chat::testing
