// Helpers for tests that run a real server in the test process.
#ifndef CHAT_TESTS_SUPPORT_TEST_SERVER_H_
#define CHAT_TESTS_SUPPORT_TEST_SERVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat/client.h"
#include "chat/message.h"
#include "chat/server.h"
#include "support/status_printer.h"

namespace chat::testing {

// How long a test waits for something that should happen. Generous, because tests must pass on a
// loaded two-core machine (and under sanitizers); a passing test never waits this long.
inline constexpr std::chrono::seconds kPatience{20};

// Options for a server on a free loopback port with two threads, no flood control, and no limits
// per source address below the server-wide ones.
ServerOptions LoopbackOptions();

// A chat server on a free loopback port, shut down when it goes out of scope.
class TestServer {
 public:
  explicit TestServer(ServerOptions options = LoopbackOptions());
  // Takes over a server already started (a test that started it in a way of its own).
  explicit TestServer(std::unique_ptr<Server> started);
  ~TestServer();

  Server& server() { return *server_; }
  std::string address() const;

  // A new client with a connection of its own (so a user of its own), whose streams do not resume
  // (ClientOptions::resume_for 0).
  std::unique_ptr<Client> NewClient() const;

 private:
  std::unique_ptr<Server> server_;
};

// A user on a TestServer: a client, registered, with its stream open.
class TestUser {
 public:
  // Registers `name` on `server` and opens its stream; fails the test if either does not succeed.
  TestUser(const TestServer& server, std::string name);

  const std::string& name() const { return name_; }
  Client& client() { return *client_; }
  MessageStream& stream() { return *stream_; }

  // Sends `text` and fails the test unless it is accepted; returns its id.
  std::uint64_t Say(const std::string& text);

  // Takes messages until one matches `match`, which it returns; nullopt if none did within
  // `patience` or the stream ended. Messages taken before it are dropped.
  std::optional<ChatMessage> WaitFor(const std::function<bool(const ChatMessage&)>& match,
                                     std::chrono::milliseconds patience = kPatience);

  // Takes messages until the one with `id`; returns every message taken, including it. Fails the
  // test if `id` does not arrive.
  std::vector<ChatMessage> ReadThrough(std::uint64_t id);

  // Leaves (Client::Leave), then closes the stream and the connection, as a client that quits does.
  void Leave();

 private:
  std::string name_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<MessageStream> stream_;
};

// True once `condition` holds, checking every few milliseconds; false if it did not within
// `patience`.
bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds patience = kPatience);

// Whether `client` sees `name` among the registered users right now.
bool IsRegistered(Client& client, const std::string& name);

// Message matchers.
std::function<bool(const ChatMessage&)> HasId(std::uint64_t id);
std::function<bool(const ChatMessage&)> HasText(const std::string& text);
std::function<bool(const ChatMessage&)> IsLeaveOf(const std::string& name);

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_TEST_SERVER_H_
