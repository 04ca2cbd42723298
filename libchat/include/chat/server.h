// The chat server: one room, served over gRPC.
//
//   chat::ServerOptions options;
//   options.address = "0.0.0.0:50051";
//   auto server = chat::Server::Start(options);
//   if (!server.ok()) { ... server.status().message() ... }
//   (*server)->Wait();  // until another thread calls Shutdown()
//
// docs/architecture.md describes the threads and the life of every call.
#ifndef CHAT_SERVER_H_
#define CHAT_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "chat/rules.h"
#include "chat/status.h"

namespace chat {

struct ServerOptions {
  // Where to listen, HOST:PORT. Port 0 picks a free port; Server::port() tells which.
  std::string address = "0.0.0.0:50051";
  // Completion-queue threads, each with its own queue. 0 means one per CPU core.
  int threads = 0;

  // The longest message text accepted, in bytes.
  std::size_t max_text_bytes = kDefaultMaxTextBytes;
  // The largest request gRPC accepts at all, in bytes; bigger ones fail with RESOURCE_EXHAUSTED
  // before any chat code sees them. Must leave room for max_text_bytes plus the message framing.
  std::size_t max_request_bytes = 64 * 1024;
  // The most registered users at once; AddUser beyond it answers RESOURCE_EXHAUSTED.
  std::size_t max_users = 20000;
  // Flood control, per user: messages (and renames) per second, and the burst allowed above that
  // rate. Beyond it SendMessage answers RESOURCE_EXHAUSTED. A rate of 0 turns flood control off.
  double max_rate = 10;
  double max_burst = 20;
  // Messages queued for one Listen stream behind the one being written. A stream whose queue
  // overflows is ended with RESOURCE_EXHAUSTED and its name freed; nobody else waits for it.
  std::size_t max_queued_messages = 1024;
  // How long an ended stream may take to drain the write it has in flight before the server
  // cancels it. A client that never reads would otherwise hold its call forever.
  std::chrono::milliseconds drain_timeout{5000};
  // How long a registered name stays reserved for a caller that has not opened Listen.
  std::chrono::milliseconds registration_grace{30000};

  // HTTP/2 keepalive: the server pings an idle connection every keepalive_time and closes it when
  // the answer takes longer than keepalive_timeout, which ends its Listen stream and frees its name.
  std::chrono::milliseconds keepalive_time{20000};
  std::chrono::milliseconds keepalive_timeout{10000};
};

// What a server has done since it started, and what it holds now.
struct ServerStats {
  std::size_t users = 0;          // registered names now
  std::size_t subscribers = 0;    // streams subscribed to the room now
  std::size_t streams = 0;        // Listen calls being served now, ending ones included
  std::uint64_t messages = 0;     // chat and direct messages accepted
  std::uint64_t deliveries = 0;   // messages written to streams
  std::uint64_t evictions = 0;    // streams ended for falling behind
};

// A running chat server.
//
// Thread safety: every method may be called from any thread. Shutdown() may be called more than
// once and from several threads; it returns when the server has stopped.
class Server {
 public:
  // Binds, starts the completion-queue threads and begins serving. Fails with UNAVAILABLE when the
  // address cannot be listened on (in use, or not an address of this host), INVALID_ARGUMENT when
  // an option is out of range.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options);

  // Shuts down with a 100 ms grace period if Shutdown() was not called.
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port the server listens on (the one chosen when options.address had port 0).
  int port() const;

  // options.address with the port it actually listens on: "0.0.0.0:50051", "[::1]:40123".
  std::string address() const;

  // A snapshot of the counters; cheap enough to call every second.
  ServerStats stats() const;

  // Stops the server. Open Listen streams end with UNAVAILABLE at once, and every call answers
  // UNAVAILABLE from then on. The server keeps answering until calls stop arriving (20 ms without
  // one) or half of `grace` has passed, so that busy clients learn of the shutdown from an answer;
  // then it stops accepting calls, and those still running when `grace` is over are cancelled.
  // Returns when every thread has stopped and every call object is freed.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(500));

  // Blocks until Shutdown() has completed.
  void Wait();

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace chat

#endif  // CHAT_SERVER_H_
