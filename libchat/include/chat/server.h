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
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "chat/message.h"
#include "chat/rules.h"
#include "chat/status.h"

namespace chat {

struct ServerOptions {
  // Where to listen, HOST:PORT. Port 0 picks a free port; Server::port() tells which. Unix-domain
  // sockets are refused: every client on one would be the same peer, and so the same user.
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
  // Flood control, per connection: messages (and renames) per second, and the burst allowed above
  // that rate. Beyond it SendMessage answers RESOURCE_EXHAUSTED. A rate of 0 turns it off.
  double max_rate = 10;
  double max_burst = 20;

  // Limits per source address: an IPv4 address, or an IPv6 /64. They hold however many connections
  // and names a client goes through: the buckets of an address that holds nothing are forgotten
  // only once they are full again. Loopback is not exempt; benchmarks raise them.
  // Messages per second into the room from one address, all its connections together, and the
  // burst; 0 turns it off. Beyond it SendMessage answers RESOURCE_EXHAUSTED.
  double max_address_rate = 20;
  double max_address_burst = 40;
  // Names taken or changed per second from one address (each is announced to the room), and the
  // burst; 0 turns it off. Beyond it AddUser answers RESOURCE_EXHAUSTED.
  double max_registration_rate = 1;
  double max_registration_burst = 10;
  // Names one address may hold at once; AddUser beyond it answers RESOURCE_EXHAUSTED.
  std::size_t max_names_per_address = 16;

  // Connections open at once, in total and per source address; one beyond is closed at once.
  // max_connections is lowered to stay under the process's open-file limit.
  std::size_t max_connections = 20000;
  std::size_t max_connections_per_address = 16;
  // Calls a client cancels (HTTP/2 RST_STREAM) before the server has answered them, per second
  // from one source address, and the burst; 0 turns it off. An address beyond it has every
  // connection closed and new ones refused for reset_flood_hold: a client that opens and resets
  // calls as fast as it can (the "rapid reset" attack) costs the server work for calls nobody
  // waits for. Honest clients cancel a call when they leave or give up, far below this.
  double max_reset_rate = 20;
  double max_reset_burst = 200;
  std::chrono::milliseconds reset_flood_hold{10000};

  // Listen and Subscribe streams open at once, the two counted together: in total, per source
  // address, per connection. A stream beyond any of them ends at once with RESOURCE_EXHAUSTED. The server counts them itself, so a client that
  // ignores HTTP/2's stream limit is held to them too.
  std::size_t max_streams = 20000;
  std::size_t max_streams_per_address = 64;
  std::size_t max_streams_per_connection = 16;

  // Messages queued for one Listen or Subscribe stream behind the write in flight (a message, or a
  // batch on Subscribe). A stream whose queue overflows, or whose oldest queued message has waited
  // longer than max_stream_lag when another arrives, is ended with RESOURCE_EXHAUSTED and its name
  // freed (if it was the connection's last stream); nobody else waits for it.
  std::size_t max_queued_messages = 1024;
  std::chrono::milliseconds max_stream_lag{30000};
  // How long an ended stream may take to drain the write it has in flight before the server
  // cancels it. A client that never reads would otherwise hold its call forever.
  std::chrono::milliseconds drain_timeout{5000};
  // How long a registered name stays reserved for a caller that has not opened Listen.
  std::chrono::milliseconds registration_grace{30000};
  // How long a session's name is held for it after its last stream ended (a lost connection):
  // meanwhile only the session's token gets it back, and then it is freed with a leave notice.
  std::chrono::milliseconds session_hold{120000};

  // The history the server keeps for replays (Listen's after_id and history) and History pages:
  // at most this many of the latest messages, and at most this many bytes of them (each counts its
  // texts twice, for the message and its encoding, plus 256). 0 messages keeps none.
  std::size_t history_messages = 10000;
  std::size_t history_bytes = 64 * 1024 * 1024;

  // HTTP/2 keepalive: the server pings an idle connection every keepalive_time and closes it when
  // the answer takes longer than keepalive_timeout, which ends its Listen stream and frees its name.
  std::chrono::milliseconds keepalive_time{20000};
  std::chrono::milliseconds keepalive_timeout{10000};

  // TLS: the server's certificate chain and private key, in PEM. Both empty: plaintext.
  std::string tls_certificate_chain;
  std::string tls_private_key;

  // The standard grpc.health.v1.Health service: SERVING while the server runs, NOT_SERVING from
  // the moment Shutdown() begins (and while a shared room's Redis is unreachable). (gRPC server reflection, for grpcurl, is always served: gRPC
  // turns it on for every server of a process that links it.)
  bool health_service = true;

  // How often the counters (stats()) are logged at info; 0 turns the log line off.
  std::chrono::seconds stats_interval{60};

  // A room shared by several servers (nodes) through one Redis: redis://HOST:PORT[/DB]. Empty (the
  // default): the room is this process's alone, and nothing else is needed. With it, the names and
  // the order of messages are kept in Redis under the keys `redis_prefix`:* (docs/operations.md),
  // Start() fails when Redis cannot be reached, and the health service says NOT_SERVING while Redis
  // is unreachable, when AddUser and SendMessage answer UNAVAILABLE.
  std::string redis;
  std::string redis_prefix = "chat";
  // This node's name among the nodes of the room, unique among those alive. Empty: the host name
  // and the process id.
  std::string node_name;

  // Where to serve Prometheus metrics over HTTP: http://HOST:PORT/metrics, in the text format.
  // HOST is an IP address ("127.0.0.1:9464", "[::1]:9464"); port 0 picks a free port, which
  // Server::metrics_address() tells. Empty (the default): no metrics endpoint. The metrics and what
  // they cost are in docs/operations.md.
  std::string metrics_address;
};

class Observer;
class Bot;

// Receives, on the bot's own thread, each message a Bot hears, with the Bot, so that it may answer.
using BotHandler = std::function<void(Bot& self, const ChatMessage& message)>;

// What a server has done since it started, and what it holds now.
struct ServerStats {
  std::size_t users = 0;          // registered names now
  std::size_t subscribers = 0;    // streams subscribed to the room now
  std::size_t streams = 0;        // Listen and Subscribe calls being served now, ending ones included
  std::uint64_t messages = 0;     // chat and direct messages accepted
  std::uint64_t deliveries = 0;   // messages written to streams
  std::uint64_t evictions = 0;    // streams ended for falling behind
  std::size_t sessions = 0;       // sessions now (each holds a name)
  std::size_t held = 0;           // names held for a session that has no stream
  std::size_t waiting = 0;        // streams held back until this node has read far enough (--redis)
  std::size_t kept_messages = 0;  // messages in the kept history
  std::size_t kept_bytes = 0;     // what they count against --history-bytes
};

// A running chat server.
//
// Thread safety: every method may be called from any thread. Shutdown() may be called more than
// once and from several threads; it returns when the server has stopped.
class Server {
 public:
  // Binds, starts the completion-queue threads and begins serving. Fails with UNAVAILABLE when the
  // address or the metrics address cannot be listened on (in use, or not an address of this host),
  // INVALID_ARGUMENT when an option is out of range.
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

  // options.metrics_address with the port it actually listens on, or empty when metrics are off.
  std::string metrics_address() const;

  // Hooks for embedders, without gRPC. Their handlers run on a thread of their own (one per
  // Observer or Bot), one message at a time, in room order, and may call back into the server.
  // Like a Listen stream, each has a queue of options.max_queued_messages: a handler that falls
  // that far behind is ended with RESOURCE_EXHAUSTED. An Observer or Bot may outlive the Server;
  // after shutdown its calls answer UNAVAILABLE.

  // From now on `on_message` receives every message and notice the room accepts, direct messages
  // included, and `on_end` (optional) why it stopped, if it stops before the Observer is destroyed.
  // UNAVAILABLE once the server is shutting down.
  Result<std::unique_ptr<Observer>> Observe(MessageHandler on_message, EndHandler on_end = nullptr);

  // Registers `name` for a user of the embedder's, with no connection: `on_message` receives,
  // with the Bot itself, what a person would (messages to the room, notices, direct messages to and
  // from it, its own included), and the bot speaks with Bot::Say. The name follows the users'
  // rules: INVALID_ARGUMENT when it breaks them, ALREADY_EXISTS when somebody has it. A bot counts
  // against max_users: RESOURCE_EXHAUSTED when the room is full. UNAVAILABLE once the server is
  // shutting down. The name is freed when the Bot is destroyed.
  //
  // `on_end` (optional) is told once why the bot was ended, on the bot's thread, after every
  // message queued before has been handled:
  // - RESOURCE_EXHAUSTED when the bot fell max_queued_messages behind. Its name is freed then,
  //   announced as a leave, and Say answers FAILED_PRECONDITION (UNAVAILABLE after shutdown); to
  //   come back, add a new Bot.
  // - UNAVAILABLE when the server shuts down; Say answers UNAVAILABLE.
  // It is not called once the owner has destroyed the Bot: destroying it drops whatever its
  // handlers have not been given yet, the end included.
  Result<std::unique_ptr<Bot>> AddBot(std::string_view name, BotHandler on_message, EndHandler on_end = nullptr);

  // Stops the server. Open Listen streams end with UNAVAILABLE at once, and every chat call answers
  // UNAVAILABLE from then on (the health service answers NOT_SERVING). The server keeps answering
  // until calls stop arriving (20 ms without one) or half of `grace` has passed, so that busy
  // clients learn of the shutdown from an answer; then it stops accepting calls, and those still
  // running when `grace` is over are cancelled.
  // Returns when every thread has stopped and every call object is freed.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(500));

  // Blocks until Shutdown() has completed.
  void Wait();

 private:
  class Impl;
  friend struct ServerWithBackend;  // the library's own: a server on a room of its choice
  explicit Server(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

// Watches a room (Server::Observe). Destroying it stops the handlers; it must not be destroyed from
// inside its own handler. Thread-safe.
class Observer {
 public:
  class Impl;
  explicit Observer(std::unique_ptr<Impl> impl);
  ~Observer();

  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

 private:
  std::unique_ptr<Impl> impl_;
};

// A user of the embedder's in the room (Server::AddBot). Destroying it frees its name, announced as a
// leave, and waits for a handler call in progress; it must not be destroyed from inside its own
// handlers (on_message, on_end). An ended Bot (told by on_end) stays valid but is no longer in the
// room: it hears nothing more, and Say fails. Thread-safe.
class Bot {
 public:
  class Impl;
  explicit Bot(std::unique_ptr<Impl> impl);
  ~Bot();

  Bot(const Bot&) = delete;
  Bot& operator=(const Bot&) = delete;

  const std::string& name() const;

  // Says `text` as this bot: to the room, or to one user with "@name text". The same rules and
  // answers as SendMessage (chat/client.h), flood control included; only the refusal of a busy
  // server ("the server is busy") is SendMessage's alone.
  Result<std::uint64_t> Say(std::string_view text);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chat

#endif  // CHAT_SERVER_H_
