// The bad-input table of docs/reliability.md, row by row.
//
// Every row runs against a fresh server where alice, bob and carol listen and mallory is registered
// on a raw connection. A row checks the exact answer; then carol sends a marker, and every stream is
// read through it: the row's text must have reached exactly the users it names (nobody, when it was
// refused), nothing else may have been said, and the marker going through shows the server still
// serves.
#include <cstdint>
#include <limits>
#include <set>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "chat.pb.h"
#include "support/flood.h"
#include "support/raw_chat.h"
#include "support/registration_race.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

struct Party {
  TestServer& server;
  TestUser& alice;
  TestUser& bob;
  TestUser& carol;
  RawChat& mallory;
};

struct Row {
  std::string input;   // as the table in docs/reliability.md names it
  std::string answer;  // "CODE: message"; for AddUser "OK ADDED: message" and the like
  std::function<std::string(Party&)> act;
  std::string delivered = {};                // the text that reaches `receivers`, if any
  std::set<std::string> receivers = {};
  int copies = 1;                            // how many times each receiver gets `delivered`
  std::function<void(ServerOptions&)> configure = [](ServerOptions&) {};
};

std::string Answer(const Status& status) {
  return status.ok() ? "OK" : fmt::format("{}: {}", StatusCodeName(status.code()), status.message());
}

std::string Answer(const grpc::Status& status) {
  return Answer(Status(static_cast<StatusCode>(status.error_code()), status.error_message()));
}

std::string Answer(const Result<Registration>& registration) {
  if (!registration.ok()) return Answer(registration.status());
  const auto code = static_cast<MessageResponse::Code>(registration->code);  // the wire's names
  return fmt::format("OK {}: {}", MessageResponse::Code_Name(code), registration->message);
}

std::string Register(const Party& room, const std::string& name) { return Answer(room.server.NewClient()->AddUser(name)); }

std::string Send(TestUser& user, const std::string& text) { return Answer(user.client().Send(text).status()); }

// A protobuf field 1 (the name of a User, the text of a Message) holding `bytes` as they are.
std::string FieldOne(const std::string& bytes) {
  return std::string(1, '\x0a') + static_cast<char>(bytes.size()) + bytes;
}

std::string RawAnswer(RawChat& chat, const std::string& method, const std::string& request) {
  std::string response;
  return Answer(chat.CallWithBytes(method, request, &response));
}

const std::string kNameRules = "a name may contain only ASCII letters, digits, '_', '-' and '.'";
const std::string kStartRule = "a name must start with a letter or a digit";
const std::string kMentionForm = "a direct message is @name followed by a space and the text";
const std::string kUnknownSession =
    "unknown or ended session: register again with AddUser, without the chat-session metadata";

std::vector<Row> Table() {
  const std::set<std::string> everybody = {"alice", "bob", "carol"};
  return {
      // Names.
      {"name: empty", "OK INVALID: invalid name: a name needs 1 to 32 letters, digits, '_', '-' or '.'",
       [](Party& r) { return Register(r, ""); }},
      {"name: 33 characters", "OK INVALID: invalid name: name too long (33 characters, at most 32)",
       [](Party& r) { return Register(r, std::string(33, 'n')); }},
      {"name: a space ('two words')", "OK INVALID: invalid name: " + kNameRules,
       [](Party& r) { return Register(r, "two words"); }},
      {"name: '@' first ('@bob')", "OK INVALID: invalid name: " + kStartRule,
       [](Party& r) { return Register(r, "@bob"); }},
      {"name: '/' first ('/nick')", "OK INVALID: invalid name: " + kStartRule,
       [](Party& r) { return Register(r, "/nick"); }},
      {"name: a control character ('bo\\x1b[31mb')", "OK INVALID: invalid name: " + kNameRules,
       [](Party& r) { return Register(r, "bo\x1b[31mb"); }},
      {"name: a newline ('bob\\n')", "OK INVALID: invalid name: " + kNameRules,
       [](Party& r) { return Register(r, "bob\n"); }},
      {"name: non-ASCII ('zoë')", "OK INVALID: invalid name: " + kNameRules,
       [](Party& r) { return Register(r, "zo\xc3\xab"); }},
      {"name: invalid UTF-8 on the wire", "INVALID_ARGUMENT: the request is not a valid chat.User: names and texts must be UTF-8",
       [](Party& r) { return RawAnswer(r.mallory, "/chat.Chat/AddUser", FieldOne("bo\xff" "b")); }},
      {"name: a case variant of a taken name ('ALICE')", "OK TAKEN: alice is taken; choose another name",
       [](Party& r) { return Register(r, "ALICE"); }},
      {"name: another case variant ('Alice')", "OK TAKEN: alice is taken; choose another name",
       [](Party& r) { return Register(r, "Alice"); }},

      // Texts, from alice.
      {"text: empty", "INVALID_ARGUMENT: message is empty", [](Party& r) { return Send(r.alice, ""); }},
      {"text: only spaces", "INVALID_ARGUMENT: message is empty", [](Party& r) { return Send(r.alice, "    "); }},
      {"text: exactly 4096 bytes", "OK", [](Party& r) { return Send(r.alice, std::string(4096, 'x')); },
       std::string(4096, 'x'), everybody},
      {"text: 4097 bytes", "INVALID_ARGUMENT: message too long (max 4096 bytes)",
       [](Party& r) { return Send(r.alice, std::string(4097, 'x')); }},
      {"text: a newline", "INVALID_ARGUMENT: message contains a control character (U+000A); only tab is allowed",
       [](Party& r) { return Send(r.alice, "first\nsecond"); }},
      {"text: an ANSI escape", "INVALID_ARGUMENT: message contains a control character (U+001B); only tab is allowed",
       [](Party& r) { return Send(r.alice, "\x1b[2Jgotcha"); }},
      {"text: a NUL", "INVALID_ARGUMENT: message contains a control character (U+0000); only tab is allowed",
       [](Party& r) { return Send(r.alice, std::string("nul\0byte", 8)); }},
      {"text: invalid UTF-8 on the wire", "INVALID_ARGUMENT: the request is not a valid chat.Message: names and texts must be UTF-8",
       [](Party& r) { return RawAnswer(r.mallory, "/chat.Chat/SendMessage", FieldOne("hi\xff\xfe!")); }},
      {"text: bigger than the transport cap (70,000 bytes)",
       "RESOURCE_EXHAUSTED: Received message larger than max (70004 vs. 65536)",
       [](Party& r) { return Send(r.alice, std::string(70000, 'x')); }},
      {"text: a tab", "OK", [](Party& r) { return Send(r.alice, "a\ttab"); }, "a\ttab", everybody},

      // Mentions, from alice.
      {"mention: '@'", "INVALID_ARGUMENT: " + kMentionForm, [](Party& r) { return Send(r.alice, "@"); }},
      {"mention: '@ bob'", "INVALID_ARGUMENT: " + kMentionForm, [](Party& r) { return Send(r.alice, "@ bob"); }},
      {"mention: '@bob' with no text", "INVALID_ARGUMENT: @bob needs a message after the name",
       [](Party& r) { return Send(r.alice, "@bob"); }},
      {"mention: '@BOB hi'", "OK", [](Party& r) { return Send(r.alice, "@BOB hi"); }, "@BOB hi", {"alice", "bob"}},
      {"mention: '@ghost hi'", "NOT_FOUND: no such user: ghost", [](Party& r) { return Send(r.alice, "@ghost hi"); }},
      {"mention: a DM to oneself ('@alice note')", "OK", [](Party& r) { return Send(r.alice, "@alice note"); },
       "@alice note", {"alice"}},

      // Order.
      {"order: send before registering", "FAILED_PRECONDITION: register first: call AddUser with a name",
       [](Party& r) { return Answer(r.server.NewClient()->Send("hello?").status()); }},
      {"order: send as another user", "PERMISSION_DENIED: you are mallory and cannot send as another user",
       [](Party& r) { return Answer(r.mallory.Send("it is me, alice", "alice")); }},
      {"order: Listen twice", "OK", [](Party& r) { return Answer(r.alice.client().Listen().status()); }},
      {"order: register twice with the same name", "OK ADDED: you are alice",
       [](Party& r) { return Answer(r.alice.client().AddUser("alice")); }},
      {"order: register twice with another name", "OK ADDED: you are now alicia",
       [](Party& r) { return Answer(r.alice.client().AddUser("alicia")); }},
      {"order: register after being evicted", "OK ADDED: welcome, slowpoke",
       [](Party& r) {
         StalledListener slowpoke(r.server, "slowpoke");
         FloodUntilEvicted(r.alice, "slowpoke", {&r.alice, &r.bob, &r.carol});
         MessageResponse response;
         const grpc::Status status = slowpoke.chat.AddUser("slowpoke", &response);
         return status.ok() ? "OK ADDED: " + response.msg() : Answer(status);
       },
       {}, {}, 1, [](ServerOptions& options) { options.max_queued_messages = 64; }},
      {"order: 50 concurrent registrations of one name", "1 ADDED, 49 TAKEN",
       [](Party& r) {
         const RaceOutcome race = RaceToRegister(r.server, 50, "popular");
         return fmt::format("{} ADDED, {} TAKEN", race.added, race.taken) +
                (race.other > 0 ? fmt::format(", {} other", race.other) : "");
       }},

      // Sessions, replays and history.
      {"session: a token the server never issued", "UNAUTHENTICATED: " + kUnknownSession,
       [](Party& r) {
         RawChat stranger(r.server.address());
         stranger.set_session(std::string(64, '0'));
         return Answer(stranger.Send("hi", ""));
       }},
      {"session: a token that is not 64 hex digits", "UNAUTHENTICATED: " + kUnknownSession,
       [](Party& r) {
         RawChat stranger(r.server.address());
         stranger.set_session("let-me-in");
         MessageResponse response;
         return Answer(stranger.AddUser("dave", &response));
       }},
      {"session: Leave twice", "UNAUTHENTICATED: " + kUnknownSession,
       [](Party& r) {
         RawChat dave(r.server.address());
         MessageResponse response;
         REQUIRE(dave.AddUser("dave", &response).ok());
         dave.set_session(response.session());
         REQUIRE(Answer(dave.Leave(&response)) == "OK");
         return Answer(dave.Leave(&response));
       }},
      {"session: Leave without a name", "FAILED_PRECONDITION: you have no name to leave",
       [](Party& r) {
         RawChat stranger(r.server.address());
         MessageResponse response;
         return Answer(stranger.Leave(&response));
       }},
      {"listen: after_id beyond the latest message", "OUT_OF_RANGE: after_id 18446744073709551615 is beyond the latest message",
       [](Party& r) {
         ListenRequest request;
         request.set_after_id(std::numeric_limits<std::uint64_t>::max());
         const std::string answer = Answer(r.mallory.RefusedListen(request));
         return answer.substr(0, answer.find(", #"));  // the latest id differs from run to run
       }},
      {"listen: history 501", "INVALID_ARGUMENT: history asks for 501 messages; at most 500 may be replayed",
       [](Party& r) {
         ListenRequest request;
         request.set_history(501);
         return Answer(r.mallory.RefusedListen(request));
       }},
      {"listen: both history and after_id", "INVALID_ARGUMENT: ask for either history or after_id, not both",
       [](Party& r) {
         ListenRequest request;
         request.set_history(5);
         request.set_after_id(1);
         return Answer(r.mallory.RefusedListen(request));
       }},
      // Subscribe answers its bad requests as Listen does.
      {"subscribe: after_id beyond the latest message",
       "OUT_OF_RANGE: after_id 18446744073709551615 is beyond the latest message",
       [](Party& r) {
         ListenRequest request;
         request.set_after_id(std::numeric_limits<std::uint64_t>::max());
         const std::string answer = Answer(r.mallory.RefusedListen(request, StreamRpc::kSubscribe));
         return answer.substr(0, answer.find(", #"));  // the latest id differs from run to run
       }},
      {"subscribe: history 501", "INVALID_ARGUMENT: history asks for 501 messages; at most 500 may be replayed",
       [](Party& r) {
         ListenRequest request;
         request.set_history(501);
         return Answer(r.mallory.RefusedListen(request, StreamRpc::kSubscribe));
       }},
      {"subscribe: both history and after_id", "INVALID_ARGUMENT: ask for either history or after_id, not both",
       [](Party& r) {
         ListenRequest request;
         request.set_history(5);
         request.set_after_id(1);
         return Answer(r.mallory.RefusedListen(request, StreamRpc::kSubscribe));
       }},
      {"subscribe: a token the server never issued", "UNAUTHENTICATED: " + kUnknownSession,
       [](Party& r) {
         RawChat stranger(r.server.address());
         stranger.set_session(std::string(64, '0'));
         return Answer(stranger.RefusedListen(ListenRequest(), StreamRpc::kSubscribe));
       }},
      {"subscribe: a request that does not parse",
       "INVALID_ARGUMENT: the request is not a valid chat.ListenRequest: names and texts must be UTF-8",
       [](Party& r) { return RawAnswer(r.mallory, "/chat.Chat/Subscribe", std::string("\xff\xff", 2)); }},
      {"history: before registering", "FAILED_PRECONDITION: register first: call AddUser with a name",
       [](Party& r) {
         RawChat stranger(r.server.address());
         MessageList page;
         return Answer(stranger.History(0, 10, &page));
       }},
      {"history: limit 501", "INVALID_ARGUMENT: limit must be 1 to 500, not 501",
       [](Party& r) {
         MessageList page;
         return Answer(r.mallory.History(0, 501, &page));
       }},
      {"history: limit 0", "INVALID_ARGUMENT: limit must be 1 to 500, not 0",
       [](Party& r) {
         MessageList page;
         return Answer(r.mallory.History(0, 0, &page));
       }},

      // Limits.
      {"limit: a user beyond --max-users 5", "RESOURCE_EXHAUSTED: the server is full (5 users); try again later",
       [](Party& r) {
         auto dave = r.server.NewClient();
         REQUIRE(dave->AddUser("dave")->code == RegistrationCode::kAdded);
         return Register(r, "erin");
       },
       {}, {}, 1, [](ServerOptions& options) { options.max_users = 5; }},
      {"limit: a 4th message at once with --max-rate 1 --max-burst 3",
       "RESOURCE_EXHAUSTED: sending too fast (at most 1 per second, bursts of 3)",
       [](Party& r) {
         for (int i = 0; i < 3; ++i) REQUIRE(Send(r.alice, "flood") == "OK");
         return Send(r.alice, "flood");
       },
       "flood", everybody, 3,
       [](ServerOptions& options) {
         options.max_rate = 1;
         options.max_burst = 3;
       }},
  };
}

TEST_CASE("every row of the bad-input table gets its answer, reaches only whom it should, and the server serves on",
          "[server][bad-input]") {
  const std::vector<Row> table = Table();
  REQUIRE(table.size() >= 30);
  for (const Row& row : table) {
    INFO("row: " << row.input);
    ServerOptions options = LoopbackOptions();
    row.configure(options);
    TestServer server(options);
    TestUser alice(server, "alice"), bob(server, "bob"), carol(server, "carol");
    RawChat mallory(server.address());
    MessageResponse registered;
    REQUIRE(mallory.AddUser("mallory", &registered).ok());

    Party party{server, alice, bob, carol, mallory};
    CHECK(row.act(party) == row.answer);

    const std::uint64_t marker = carol.Say("marker");
    for (TestUser* observer : {&alice, &bob, &carol}) {
      INFO("observer: " << observer->name());
      std::vector<std::string> said;  // every chat and direct message before the marker
      for (const ChatMessage& message : observer->ReadThrough(marker)) {
        const bool spoken = message.kind == MessageKind::kChat || message.kind == MessageKind::kDirect;
        if (spoken && message.id != marker) said.push_back(message.text);
      }
      const int copies = row.receivers.count(observer->name()) > 0 ? row.copies : 0;
      CHECK(said == std::vector<std::string>(copies, row.delivered));
    }
  }
}

}  // namespace
}  // namespace chat::testing
