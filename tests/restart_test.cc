// What a client finds after the server restarts.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "chat.pb.h"
#include "support/raw_chat.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

TEST_CASE("a client registering again after a server restart gets its name back", "[server][restart]") {
  auto first = std::make_unique<TestServer>();
  ServerOptions options = LoopbackOptions();
  options.address = "127.0.0.1:" + std::to_string(first->server().port());
  ClientOptions client_options;
  client_options.server_address = options.address;
  client_options.resume_for = std::chrono::milliseconds(0);  // the stream ends with the server
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

TEST_CASE("resuming across a restart starts with a GAP, and the new server never issues an old id again",
          "[server][restart][sessions]") {
  auto first = std::make_unique<TestServer>();
  ServerOptions options = LoopbackOptions();
  options.address = "127.0.0.1:" + std::to_string(first->server().port());
  std::uint64_t last_before = 0;
  {
    TestUser alice(*first, "alice");
    for (int i = 0; i < 3; ++i) last_before = alice.Say("before the restart");
  }
  first.reset();

  TestServer second(options);
  RawChat bob(second.address());
  MessageResponse added;
  REQUIRE(bob.AddUser("bob", &added).ok());
  REQUIRE(added.code() == MessageResponse::ADDED);
  bob.set_session(added.session());
  ListenRequest request;
  request.set_after_id(last_before);
  const std::unique_ptr<grpc::ClientContext> context = bob.NewContext();
  const auto reader = bob.stub().Listen(context.get(), request);
  Message gap;
  REQUIRE(reader->Read(&gap));
  CHECK(gap.kind() == Message::GAP);
  CHECK(gap.msg() == fmt::format("the server restarted since #{}: what was said before the restart is lost",
                                 last_before));
  CHECK(gap.id() >= last_before);
  Message join;
  REQUIRE(reader->Read(&join));
  CHECK(join.msg() == "bob joined");
  CHECK(join.id() > last_before);
  REQUIRE(bob.Send("after the restart", "").ok());
  Message said;
  REQUIRE(reader->Read(&said));
  CHECK(said.id() > join.id());
  context->TryCancel();
}

}  // namespace
}  // namespace chat::testing
