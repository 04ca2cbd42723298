// A client of a chat server.
//
//   chat::ClientOptions options;
//   options.server_address = "localhost:50051";
//   chat::Client client(options);
//   auto reply = client.AddUser("alice");
//   if (reply.ok() && reply->code == chat::RegistrationCode::kAdded) {
//     auto stream = client.Listen();            // or Listen(on_message, on_end)
//     client.Send("hello");
//     while (auto message = (*stream)->Next(std::chrono::seconds(1))) { ... }
//   }
//
// AddUser starts a session: the server answers with a secret token, which the Client keeps and sends
// on every later call, so the server knows it by its session, whatever connection it comes on. After
// a lost connection its Listen streams resume by themselves from the last message they delivered,
// and the name stays its own meanwhile (the server holds it for its --session-hold). Leave() ends
// the session. Every Client still opens a connection of its own, even next to other Clients in the
// same process: several Clients are several users.
#ifndef CHAT_CLIENT_H_
#define CHAT_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/message.h"
#include "chat/status.h"

namespace chat {

struct ClientOptions {
  // HOST:PORT of the server.
  std::string server_address = "localhost:50051";
  // Deadline of each AddUser, Send, ListUsers, History and Leave call, and of Listen's wait for the
  // server to accept the stream (and of each resume attempt's). A call that runs out answers
  // DEADLINE_EXCEEDED.
  std::chrono::milliseconds rpc_timeout{10000};
  // HTTP/2 keepalive, so that a dead server is noticed and a quiet connection survives NAT and
  // proxies. The server refuses pings more frequent than every 5 s.
  std::chrono::milliseconds keepalive_time{20000};
  std::chrono::milliseconds keepalive_timeout{10000};
  // TLS: the certificates (PEM) that the server's must chain to. Empty: plaintext.
  std::string tls_root_certificates;
  // How long a Listen stream of a Client with a session keeps trying to resume after its connection
  // was lost (UNAVAILABLE), with backoff between attempts, before it ends with the last error. 0: a
  // lost connection ends the stream, as without a session.
  std::chrono::milliseconds resume_for{120000};
};

// Told that a stream cut off by a lost connection runs again: `replayed` messages follow (a kGap
// first when the server no longer had all of them), then live ones.
using ResumeHandler = std::function<void(std::size_t replayed)>;
// Told that a stream was cut off by a lost connection (`reason`, UNAVAILABLE) and is being resumed:
// the ResumeHandler follows when it runs again, or the end handler when it cannot.
using InterruptHandler = std::function<void(const Status& reason)>;

// Where a Listen stream starts (ListenRequest). Both zero: with the next live message.
struct ListenOptions {
  // First every message after this id that the server still keeps and that was meant for this
  // client; a kGap first when it no longer keeps them all. OUT_OF_RANGE when the server has not
  // issued this id yet.
  std::uint64_t after_id = 0;
  // Or first the last `history` such messages (at most 500; INVALID_ARGUMENT beyond).
  std::uint32_t history = 0;
  // Optional: told each time the stream was cut off and is being resumed.
  InterruptHandler on_interrupted;
  // Optional: told each time the stream resumed after a lost connection.
  ResumeHandler on_resumed;
};

// The handlers of a Listen stream (MessageHandler, EndHandler: chat/message.h, and those of
// ListenOptions) run one at a time, in room order: on a gRPC thread, except on_resumed, and the
// end handler after a failed resume, which run on the stream's own resume thread. The next message
// is not read until the handler returns, so a handler that blocks stalls its own stream (and
// eventually gets it evicted by the server). The end handler is called once when the stream ends
// by itself (server shutdown without a session to resume, eviction, Leave(), resuming that failed),
// never when it ends because its Subscription was destroyed.
//
// Resuming (ClientOptions::resume_for): a stream of a Client with a session that ends with
// UNAVAILABLE opens again by itself, as Listen with after_id = the last id it delivered (or the
// after_id it was opened with, when it delivered nothing yet: a live-only stream that had
// delivered nothing resumes live-only), on the same handlers; no message is delivered twice.
// Attempts that meet a server not back yet or going away (UNAVAILABLE, CANCELLED,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED) are made again, with jittered backoff, until
// resume_for is over; any other answer ends the stream. UNAUTHENTICATED (the server restarted, or
// held the name past its --session-hold) ends it, and the Client then has no session.

// A running Listen stream that delivers to handlers. Destroying it cancels the stream, stops any
// resume attempt, and waits until no handler is running, so it must not be destroyed from inside a
// handler. It may outlive its Client. Its methods are thread-safe.
class Subscription {
 public:
  class Impl;
  explicit Subscription(std::unique_ptr<Impl> impl);
  ~Subscription();

  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // How many messages the server replayed at the start of the stream (ListenOptions), before live
  // ones: the history asked for, or what was missed. The first replayed() messages delivered are
  // those (unless the stream ended first). Resumes tell their own count to on_resumed.
  std::size_t replayed() const;
  // The id of the last message delivered to the handler; 0 before the first.
  std::uint64_t last_id() const;

 private:
  std::unique_ptr<Impl> impl_;
};

// A running Listen stream read like an iterator. Messages wait in an unbounded queue until Next()
// takes them. Thread-safe; destroying it cancels the stream.
class MessageStream {
 public:
  class Impl;
  explicit MessageStream(std::unique_ptr<Impl> impl);
  ~MessageStream();

  MessageStream(const MessageStream&) = delete;
  MessageStream& operator=(const MessageStream&) = delete;

  // The next message, waiting at most `timeout` for it. nullopt when time ran out or the stream has
  // ended and every message was taken; ended() tells which.
  std::optional<ChatMessage> Next(std::chrono::milliseconds timeout);

  // True once the stream has ended and Next() has nothing more to give.
  bool ended() const;

  // Why the stream ended (OK while it runs).
  Status status() const;

  // As Subscription::replayed().
  std::size_t replayed() const;

 private:
  std::unique_ptr<Impl> impl_;
};

// Thread safety: every method may be called from any thread, concurrently.
class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& server_address() const;

  // Waits until the connection to the server is up. UNAVAILABLE "cannot reach server at HOST:PORT"
  // when it is not within `timeout`.
  Status WaitForConnection(std::chrono::milliseconds timeout);

  // Asks for `name`. The answer is OK with code kAdded, kTaken or kInvalid and a sentence for the
  // person; an error status only when the call itself failed (server unreachable, user limit).
  // Registering again from the same Client swaps the old name for the new one. On kAdded the Client
  // keeps the session token (Registration::session) and sends it from then on.
  Result<Registration> AddUser(std::string_view name);

  // Frees the name and ends the session and every stream of it at once; the Client then has no
  // session (a later AddUser starts a new one). UNAUTHENTICATED when the server no longer knows the
  // session, FAILED_PRECONDITION when there is no name to leave.
  Status Leave();

  // True from an ADDED answer until Leave(), or until the server answered that it no longer knows
  // the session (UNAUTHENTICATED: register again).
  bool has_session() const;

  // Sends `text` to the room, or to one user when it starts with "@name ". Returns the room
  // sequence number the server gave the message. FAILED_PRECONDITION before AddUser succeeded;
  // INVALID_ARGUMENT, NOT_FOUND or RESOURCE_EXHAUSTED with a readable message otherwise.
  Result<std::uint64_t> Send(std::string_view text);

  // The registered users, sorted ignoring case.
  Result<std::vector<std::string>> ListUsers();

  // Up to `limit` (1 to 500) messages meant for this client before `before_id` (0: the latest),
  // oldest first. FAILED_PRECONDITION before AddUser succeeded.
  Result<HistoryPage> History(std::uint64_t before_id, std::uint32_t limit);

  // Opens the room stream and returns once the server has accepted it: what `from` asks for is
  // replayed first, then every message the server accepts from then on is delivered. A Client may
  // listen more than once; every stream gets everything. Without a session the name stays
  // registered until the last stream ends; with one, for the server's session hold after that.
  Result<std::unique_ptr<Subscription>> Listen(MessageHandler on_message, EndHandler on_end,
                                               ListenOptions from = {});
  Result<std::unique_ptr<MessageStream>> Listen(ListenOptions from = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chat

#endif  // CHAT_CLIENT_H_
