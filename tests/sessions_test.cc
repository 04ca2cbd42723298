// Sessions, replays and history over gRPC: the contract of docs/protocol.md ("Sessions", "History
// and resume"), with raw clients that present their tokens by hand.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "chat.pb.h"
#include "support/raw_chat.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

// A Listen stream of a raw client, with its session's metadata.
class RawStream {
 public:
  RawStream(RawChat& chat, const ListenRequest& request)
      : context_(chat.NewContext()), reader_(chat.stub().Listen(context_.get(), request)) {
    reader_->WaitForInitialMetadata();
  }
  ~RawStream() { context_->TryCancel(); }

  // The server's count of replayed messages (initial metadata chat-replay-count).
  std::string ReplayCount() const {
    const auto& metadata = context_->GetServerInitialMetadata();
    const auto found = metadata.find("chat-replay-count");
    return found == metadata.end() ? "(none)" : std::string(found->second.data(), found->second.size());
  }

  // The next `count` messages; fails the test if the stream ends first.
  std::vector<Message> Read(std::size_t count) {
    std::vector<Message> messages(count);
    for (Message& message : messages) REQUIRE(reader_->Read(&message));
    return messages;
  }

  // Reads until the message with `id`, and returns every message read, that one included.
  std::vector<Message> ReadThrough(std::uint64_t id) {
    std::vector<Message> messages;
    Message message;
    while (reader_->Read(&message)) {
      messages.push_back(message);
      if (message.id() == id) return messages;
    }
    FAIL("the stream ended before message " << id);
    return messages;
  }

  // Reads whatever is left and returns how the stream ended.
  grpc::Status DrainAndFinish() {
    Message message;
    while (reader_->Read(&message)) {
    }
    return reader_->Finish();
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<Message>> reader_;
};

// Registers `name` on `chat`, makes it present the session from then on, and returns the token.
std::string Register(RawChat& chat, const std::string& name) {
  MessageResponse response;
  REQUIRE(chat.AddUser(name, &response).ok());
  REQUIRE(response.code() == MessageResponse::ADDED);
  REQUIRE(response.session().size() == 64);
  chat.set_session(response.session());
  return response.session();
}

std::vector<std::string> Texts(const std::vector<Message>& messages) {
  std::vector<std::string> texts;
  for (const Message& message : messages) texts.push_back(message.msg());
  return texts;
}

ListenRequest After(std::uint64_t id) {
  ListenRequest request;
  request.set_after_id(id);
  return request;
}

TEST_CASE("a session that lost its stream resumes on a new connection with what it missed, once each and in order",
          "[server][sessions]") {
  TestServer server;
  TestUser bob(server, "bob");
  auto first_connection = std::make_unique<RawChat>(server.address());
  const std::string token = Register(*first_connection, "alice");
  std::uint64_t seen = 0;
  {
    RawStream stream(*first_connection, ListenRequest());
    seen = bob.Say("before");
    stream.ReadThrough(seen);
  }
  first_connection.reset();  // the stream and the connection are gone: the session holds the name
  std::vector<std::uint64_t> missed;
  for (const char* text : {"one", "two", "@alice three"}) missed.push_back(bob.Say(text));
  CHECK(IsRegistered(bob.client(), "alice"));
  RawChat stranger(server.address());
  MessageResponse answer;
  REQUIRE(stranger.AddUser("alice", &answer).ok());
  CHECK(answer.code() == MessageResponse::TAKEN);

  RawChat second_connection(server.address());
  second_connection.set_session(token);
  RawStream resumed(second_connection, After(seen));
  CHECK(resumed.ReplayCount() == "3");
  const std::uint64_t live = bob.Say("live");
  const std::vector<Message> got = resumed.ReadThrough(live);
  CHECK(Texts(got) == std::vector<std::string>{"one", "two", "@alice three", "live"});
  CHECK(got[0].id() == missed[0]);
  CHECK(got[2].kind() == Message::DIRECT);
  // Nobody was told alice left, and she speaks as alice from the new connection.
  REQUIRE(second_connection.Send("back", "").ok());
  CHECK_FALSE(bob.WaitFor(IsLeaveOf("alice"), std::chrono::milliseconds(0)).has_value());
}

TEST_CASE("a held name is refused to others and freed with a leave notice when the hold runs out",
          "[server][sessions]") {
  ServerOptions options = LoopbackOptions();
  options.session_hold = std::chrono::milliseconds(1500);
  TestServer server(options);
  TestUser bob(server, "bob");
  std::string token;
  {
    RawChat alice(server.address());
    token = Register(alice, "alice");
    RawStream stream(alice, ListenRequest());
  }
  RawChat stranger(server.address());
  MessageResponse answer;
  REQUIRE(stranger.AddUser("alice", &answer).ok());
  CHECK(answer.code() == MessageResponse::TAKEN);

  const std::optional<ChatMessage> leave = bob.WaitFor(IsLeaveOf("alice"));
  REQUIRE(leave.has_value());
  CHECK(leave->text == "alice left (connection lost)");
  REQUIRE(stranger.AddUser("alice", &answer).ok());
  CHECK(answer.code() == MessageResponse::ADDED);

  RawChat late(server.address());
  late.set_session(token);
  const grpc::Status refused = late.Send("am I still alice?", "");
  CHECK(refused.error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("Leave frees the name at once and ends the session's streams with OK", "[server][sessions]") {
  TestServer server;
  TestUser bob(server, "bob");
  RawChat alice(server.address());
  Register(alice, "alice");
  RawStream stream(alice, ListenRequest());
  MessageResponse goodbye;
  REQUIRE(alice.Leave(&goodbye).ok());
  CHECK(goodbye.msg() == "goodbye, alice");
  const grpc::Status ended = stream.DrainAndFinish();
  CHECK(ended.error_code() == grpc::StatusCode::OK);
  const std::optional<ChatMessage> leave = bob.WaitFor(IsLeaveOf("alice"));
  REQUIRE(leave.has_value());
  CHECK(leave->text == "alice left");
  CHECK_FALSE(IsRegistered(bob.client(), "alice"));
}

TEST_CASE("Listen with history starts with the caller's last messages, then goes live", "[server][sessions]") {
  TestServer server;
  TestUser bob(server, "bob");
  std::vector<std::uint64_t> said;
  for (int i = 0; i < 5; ++i) said.push_back(bob.Say("m" + std::to_string(i)));
  RawChat carol(server.address());
  Register(carol, "carol");
  ListenRequest request;
  request.set_history(3);
  RawStream stream(carol, request);
  CHECK(stream.ReplayCount() == "3");
  const std::uint64_t live = bob.Say("live");
  CHECK(Texts(stream.ReadThrough(live)) == std::vector<std::string>{"m3", "m4", "carol joined", "live"});
}

TEST_CASE("History pages back through what the caller may see", "[server][sessions]") {
  TestServer server;
  TestUser bob(server, "bob");
  RawChat carol(server.address());
  Register(carol, "carol");
  for (int i = 0; i < 5; ++i) bob.Say("m" + std::to_string(i));
  bob.Say("@bob a note to self");
  MessageList page;
  REQUIRE(carol.History(0, 3, &page).ok());
  CHECK(Texts({page.messages().begin(), page.messages().end()}) == std::vector<std::string>{"m2", "m3", "m4"});
  CHECK_FALSE(page.complete());
  const std::uint64_t oldest = page.messages(0).id();
  REQUIRE(carol.History(oldest, 500, &page).ok());
  CHECK(Texts({page.messages().begin(), page.messages().end()}) ==
        std::vector<std::string>{"bob joined", "carol joined", "m0", "m1"});
  CHECK(page.complete());
}

}  // namespace
}  // namespace chat::testing
