#include "chat/server.h"

#include <pthread.h>
#include <unistd.h>

#include <cstdio>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include "backend/memory_backend.h"
#include "backend/redis/redis_backend.h"
#include "backend/room_backend.h"
#include "chat.grpc.pb.h"
#include "common/deadline_timer.h"
#include "common/shutdown.h"
#include "server/acceptor.h"
#include "server/call_environment.h"
#include "server/calls/add_user_call.h"
#include "server/calls/health_check_call.h"
#include "server/calls/health_watch_call.h"
#include "server/calls/history_call.h"
#include "server/calls/leave_call.h"
#include "server/calls/list_users_call.h"
#include "server/calls/listen_call.h"
#include "server/calls/send_message_call.h"
#include "server/embedding/embedding.h"
#include "server/metrics/call_metrics.h"
#include "server/metrics/server_metrics.h"
#include "server/operation.h"
#include "server/reset_flood_guard.h"
#include "server/server_with_backend.h"
#include "server/write_scheduler.h"
#include "wire/wire.h"

namespace chat {
namespace {

// HTTP/2 streams a connection may have open at once, of every RPC: its Listen streams and room for
// this many unary calls beside them. Above that a well-behaved client waits for a free stream.
constexpr int kUnaryCallsPerConnection = 32;
// gRPC takes the stream limit as an int.
constexpr std::size_t kMaxStreamsPerConnection = 1 << 20;

// The id of this run's first message: the microseconds since the Unix epoch. A server issues ids one
// by one, so it stays below the clock as long as it sequences fewer than a million messages a second
// on average, far above what one room takes (docs/benchmarks.md); so a restarted server begins
// above every id the last run issued, with no state kept on disk, as long as the clock has not been
// set back by more than the time the server was down.
std::uint64_t FirstMessageId() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
}

Status CheckOptions(const ServerOptions& options) {
  const auto invalid = [](std::string message) { return Status(StatusCode::kInvalidArgument, std::move(message)); };
  if (options.address.rfind("unix:", 0) == 0 || options.address.rfind("unix-abstract:", 0) == 0) {
    return invalid("unix-domain addresses are not supported: every client would be the same peer, so anyone could "
                   "speak as anyone; listen on a TCP address");
  }
  if (options.threads < 0) return invalid("threads must be 0 (one per core) or more");
  if (options.max_text_bytes == 0) return invalid("max_text_bytes must be at least 1");
  if (options.max_request_bytes < options.max_text_bytes + 1024) {
    return invalid("max_request_bytes must exceed max_text_bytes by at least 1024");
  }
  if (options.max_users == 0) return invalid("max_users must be at least 1");
  if (options.max_rate < 0) return invalid("max_rate must be 0 (no limit) or more");
  if (options.max_rate > 0 && options.max_burst < 1) return invalid("max_burst must be at least 1");
  if (options.max_queued_messages == 0) return invalid("max_queued_messages must be at least 1");
  if (options.max_stream_lag.count() <= 0) return invalid("max_stream_lag must be positive");
  if (options.reset_flood_hold.count() <= 0) return invalid("reset_flood_hold must be positive");
  if (options.session_hold.count() < 0) return invalid("session_hold must be 0 or more");
  if (options.history_messages > 0 && options.history_bytes < 64 * 1024) {
    return invalid("history_bytes must be at least 65536 (64 KiB) when history_messages is not 0");
  }
  for (const auto& [rate, burst, name] : {std::tuple{options.max_address_rate, options.max_address_burst, "max_address"},
                                          std::tuple{options.max_registration_rate, options.max_registration_burst,
                                                     "max_registration"},
                                          std::tuple{options.max_reset_rate, options.max_reset_burst, "max_reset"}}) {
    if (rate < 0) return invalid(fmt::format("{}_rate must be 0 (no limit) or more", name));
    if (rate > 0 && burst < 1) return invalid(fmt::format("{}_burst must be at least 1", name));
  }
  if (options.max_connections == 0 || options.max_connections_per_address == 0) {
    return invalid("max_connections and max_connections_per_address must be at least 1");
  }
  if (options.max_names_per_address == 0 || options.max_streams == 0 || options.max_streams_per_address == 0 ||
      options.max_streams_per_connection == 0) {
    return invalid("max_names_per_address, max_streams, max_streams_per_address and max_streams_per_connection "
                   "must be at least 1");
  }
  if (options.max_streams_per_connection > kMaxStreamsPerConnection) {
    return invalid(fmt::format("max_streams_per_connection must be at most {}", kMaxStreamsPerConnection));
  }
  if (options.tls_certificate_chain.empty() != options.tls_private_key.empty()) {
    return invalid("TLS needs both a certificate chain and its private key");
  }
  if (options.stats_interval.count() < 0) return invalid("stats_interval must be 0 (off) or more");
  if (!options.redis.empty() && options.redis_prefix.empty()) return invalid("redis_prefix must not be empty");
  if (options.keepalive_time.count() <= 0 || options.keepalive_timeout.count() <= 0) {
    return invalid("keepalive_time and keepalive_timeout must be positive");
  }
  return Status::Ok();
}

// "HOST:PID": unique among the processes of the hosts of one room.
std::string DefaultNodeName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "node");
  return fmt::format("{}:{}", host, getpid());
}

int ThreadCount(const ServerOptions& options) {
  if (options.threads > 0) return options.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

// "0.0.0.0:0" and 40123 give "0.0.0.0:40123".
std::string WithPort(const std::string& address, int port) {
  const std::size_t colon = address.rfind(':');
  return fmt::format("{}:{}", colon == std::string::npos ? address : address.substr(0, colon), port);
}

int AsInt(std::chrono::milliseconds duration) { return static_cast<int>(duration.count()); }

std::shared_ptr<grpc::ServerCredentials> Credentials(const ServerOptions& options) {
  if (options.tls_certificate_chain.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions tls;
  tls.pem_key_cert_pairs.push_back({options.tls_private_key, options.tls_certificate_chain});
  return grpc::SslServerCredentials(tls);
}

// Calls of each RPC each queue stands ready to accept. A call that arrives when none is ready
// waits unmatched inside gRPC, and at shutdown gRPC drops such calls: their clients would see
// CANCELLED instead of the UNAVAILABLE the closed room answers. Several ready calls per queue keep
// arrivals matched at once under bursts; each one costs a few hundred bytes.
constexpr int kRequestsPerQueue = 16;

}  // namespace

class Server::Impl {
 public:
  Impl(const ServerOptions& options, const BackendFactory& make_backend);
  ~Impl();

  Status Start();
  int port() const { return port_; }
  std::string address() const { return WithPort(options_.address, port_); }
  std::string metrics_address() const {
    return options_.metrics_address.empty() ? std::string() : WithPort(options_.metrics_address, metrics_port_);
  }
  void Shutdown(std::chrono::milliseconds grace);
  void Wait();
  ServerStats stats() const;
  Result<std::unique_ptr<Observer>> Observe(MessageHandler on_message, EndHandler on_end);
  Result<std::unique_ptr<Bot>> AddBot(std::string_view name, BotHandler on_message, EndHandler on_end);

 private:
  // The body of each completion-queue thread: runs the handler of every completed operation until
  // the queue is shut down and drained.
  static void Serve(grpc::ServerCompletionQueue* queue);

  void LogStats() const;
  // Returns once no call has arrived for a short while, or at `limit`.
  void ServeUntilQuiet(std::chrono::steady_clock::time_point limit);

  const ServerOptions options_;
  ChatService service_;
  HealthService health_service_;
  HealthStatus health_status_;
  CallCounters counters_;
  BusyGate busy_gate_;
  std::shared_ptr<RoomBackend> backend_;  // shared with the embedders' Observers and Bots
  Status backend_status_;                 // why there is no backend_
  std::unique_ptr<DeadlineTimer> stats_timer_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  WriteSchedulers schedulers_;  // one per queue
  std::vector<std::unique_ptr<CallMetrics>> call_metrics_;  // one per queue
  std::unique_ptr<ServerMetrics> metrics_;                   // reads backend_, counters_, call_metrics_
  std::unique_ptr<Acceptor> acceptor_;
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> handoff_;  // gRPC's side of acceptor_
  std::unique_ptr<ResetFloodGuard> reset_flood_guard_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  int metrics_port_ = 0;  // set by Start(), like port_: metrics_ itself goes at shutdown

  std::mutex shutdown_mu_;
  std::condition_variable stopped_cv_;
  bool shutdown_started_ = false;  // guarded by shutdown_mu_
  bool stopped_ = false;           // guarded by shutdown_mu_
};

Server::Impl::Impl(const ServerOptions& options, const BackendFactory& make_backend)
    : options_(options), busy_gate_(options.max_queued_messages) {
  RoomOptions room_options;
  room_options.max_text_bytes = options_.max_text_bytes;
  room_options.max_users = options_.max_users;
  room_options.max_rate = options_.max_rate;
  room_options.max_burst = options_.max_burst;
  room_options.max_address_rate = options_.max_address_rate;
  room_options.max_address_burst = options_.max_address_burst;
  room_options.max_registration_rate = options_.max_registration_rate;
  room_options.max_registration_burst = options_.max_registration_burst;
  room_options.max_names_per_address = options_.max_names_per_address;
  room_options.max_streams = options_.max_streams;
  room_options.max_streams_per_address = options_.max_streams_per_address;
  room_options.max_streams_per_connection = options_.max_streams_per_connection;
  room_options.registration_grace = options_.registration_grace;
  room_options.session_hold = options_.session_hold;
  room_options.history_messages = options_.history_messages;
  room_options.history_bytes = options_.history_bytes;
  room_options.first_id = FirstMessageId();
  room_options.encode = EncodeForWire;  // once per message, whatever the number of subscribers
  Result<std::shared_ptr<RoomBackend>> backend = make_backend(std::move(room_options));
  if (!backend.ok()) {
    backend_status_ = backend.status();
    return;
  }
  backend_ = std::move(backend).value();
  if (options_.stats_interval.count() > 0) {
    stats_timer_ = std::make_unique<DeadlineTimer>([this]() -> std::optional<SteadyTime> {
      LogStats();
      return std::chrono::steady_clock::now() + options_.stats_interval;
    });
    stats_timer_->RunBy(std::chrono::steady_clock::now() + options_.stats_interval);
  }
}

Server::Impl::~Impl() {
  bool running = false;
  {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    running = server_ != nullptr && !stopped_;
  }
  if (running) Shutdown(std::chrono::milliseconds(100));
}

Status Server::Impl::Start() {
  if (!backend_status_.ok()) return backend_status_;
  grpc::ServerBuilder builder;
  // Connections are accepted by the Acceptor (acceptor.h: caps, and an accept loop that survives
  // running out of descriptors), which hands each one to gRPC for its handshake, once the room knows
  // that whoever had its address and port before is gone (Room::ConnectionOpened).
  Result<std::unique_ptr<Acceptor>> acceptor =
      Acceptor::Listen({options_.address, options_.max_connections, options_.max_connections_per_address,
                        [backend = backend_.get()](const std::string& peer) { backend->ConnectionOpened(peer); }});
  if (!acceptor.ok()) return acceptor.status();
  acceptor_ = std::move(acceptor).value();
  port_ = acceptor_->port();
  handoff_ = builder.experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD, Credentials(options_));
  // The health service is served on this server's queues (health_check_call.h), not by gRPC's
  // default one, which would bring threads of its own into the process's polling.
  grpc::EnableDefaultHealthCheckService(false);
  if (options_.health_service) builder.RegisterService(&health_service_);
  // Reflection, for grpcurl: gRPC adds it to every server built once this was called.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  builder.RegisterService(&service_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_request_bytes));
  // gRPC 1.51 checks the size limit before it inflates a compressed request, and inflates without
  // a limit: a 61 kB gzip request became 60 MB. So no algorithm is accepted (gRPC answers a
  // compressed call UNIMPLEMENTED "Compression algorithm 'gzip' is disabled."), and nothing is
  // inflated in any case: a message flagged compressed without naming an algorithm reaches the call
  // objects as it was sent, and does not parse.
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_DEFLATE, false);
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_GZIP, false);
  builder.AddChannelArgument(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
  // The room counts Listen and Subscribe streams per connection itself (a client that never
  // acknowledges SETTINGS is not held to this); this tells well-behaved clients the limit, unary
  // calls included.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(options_.max_streams_per_connection) + kUnaryCallsPerConnection);
  // gRPC sets SO_REUSEPORT by default, which would let a second server share a port in use.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Ping quiet connections so that a client that vanished without closing its socket is noticed,
  // its Listen stream ends and its name is freed. Pings go on without calls and without data.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, AsInt(options_.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, AsInt(options_.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Clients ping too (every 20 s by default); accept that, but not a ping flood.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);

  const int threads = ThreadCount(options_);
  for (int i = 0; i < threads; ++i) call_metrics_.push_back(std::make_unique<CallMetrics>());
  // Before gRPC starts, so that a metrics address that cannot be listened on stops nothing running.
  if (!options_.metrics_address.empty()) {
    MetricsSources sources{backend_.get(), &counters_, {}};
    for (const auto& metrics : call_metrics_) sources.queues.push_back(metrics.get());
    Result<std::unique_ptr<ServerMetrics>> metrics = ServerMetrics::Serve(options_.metrics_address, std::move(sources));
    if (!metrics.ok()) return metrics.status();
    metrics_ = std::move(metrics).value();
    metrics_port_ = metrics_->port();
  }
  for (int i = 0; i < threads; ++i) queues_.push_back(builder.AddCompletionQueue());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    for (auto& queue : queues_) {  // no operation was started; shut them down for a clean exit
      queue->Shutdown();
      Serve(queue.get());
    }
    server_.reset();
    return Status(StatusCode::kUnavailable,
                  fmt::format("cannot listen on {}: the port is in use or the address is not of this host",
                              options_.address));
  }

  for (auto& queue : queues_) schedulers_.Add(queue.get());
  for (std::size_t q = 0; q < queues_.size(); ++q) {
    const CallEnvironment env{&service_, &health_service_, &health_status_, queues_[q].get(), backend_.get(),
                              &options_, &counters_,       &schedulers_,   &busy_gate_,      call_metrics_[q].get()};
    for (int i = 0; i < kRequestsPerQueue; ++i) {
      AddUserCall::Spawn(env);
      SendMessageCall::Spawn(env);
      ListenCall::Spawn(env, ListenCall::Framing::kMessage);
      ListenCall::Spawn(env, ListenCall::Framing::kBatch);  // Subscribe
      ListUsersCall::Spawn(env);
      HistoryCall::Spawn(env);
      LeaveCall::Spawn(env);
    }
    if (options_.health_service) {
      HealthCheckCall::Spawn(env);
      HealthWatchCall::Spawn(env);
    }
    threads_.emplace_back(&Impl::Serve, queues_[q].get());
    // Named, so that top -H and chat-bench can tell the server's threads from others.
    pthread_setname_np(threads_.back().native_handle(), fmt::format("chat-cq-{}", threads_.size() - 1).c_str());
  }
  acceptor_->Start(handoff_.get());
  reset_flood_guard_ = std::make_unique<ResetFloodGuard>(
      ResetFloodGuard::Options{options_.max_reset_rate, options_.max_reset_burst, options_.reset_flood_hold},
      acceptor_.get());
  health_status_.SetServing(true);
  // A room kept outside the process is served only while it can be reached. Shutdown() has set
  // NOT_SERVING for good before it closes the backend, after which no change comes.
  backend_->WatchStore([this](bool reachable) {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    if (!shutdown_started_) health_status_.SetServing(reachable);
  });
  spdlog::info("serving on {}{} with {} completion-queue threads, at most {} connections", address(),
               options_.tls_certificate_chain.empty() ? "" : " (TLS)", threads, acceptor_->max_connections());
  if (metrics_ != nullptr) spdlog::info("metrics on http://{}/metrics", metrics_address());
  return Status::Ok();
}

// The order matters. The room goes first so that every open stream ends with UNAVAILABLE at once
// (instead of hanging until the grace period and being cancelled), and every call from then on is
// refused with UNAVAILABLE. The server keeps serving until calls stop coming: gRPC resets calls
// that reach it after its own Shutdown has begun (their clients see a bare CANCELLED), and a busy
// client always has one on the way. gRPC's Shutdown then waits for calls still running, cancels
// them when the grace period is over, and fails every pending request; it returns only when every
// call object has been freed, which needs the queue threads still running. Only then may the
// queues shut down: the threads drain them until Next() returns false.
void Server::Impl::Shutdown(std::chrono::milliseconds grace) {
  {
    std::unique_lock<std::mutex> lock(shutdown_mu_);
    if (shutdown_started_) {
      stopped_cv_.wait(lock, [this] { return stopped_; });
      return;
    }
    shutdown_started_ = true;
  }
  spdlog::info("shutting down");
  const auto deadline = std::chrono::steady_clock::now() + grace;
  health_status_.SetServing(false);  // load balancers and probes see it before anything else
  backend_->Close(Status(StatusCode::kUnavailable, kShuttingDownMessage));
  ServeUntilQuiet(std::chrono::steady_clock::now() + grace / 2);
  health_status_.Close();  // Watch streams end, like Listen streams, rather than wait to be cancelled
  reset_flood_guard_.reset();
  acceptor_->Stop();  // before gRPC's Shutdown, which no new connection may reach
  server_->Shutdown(std::chrono::system_clock::now() + (deadline - std::chrono::steady_clock::now()));
  for (auto& queue : queues_) queue->Shutdown();
  for (auto& thread : threads_) thread.join();
  stats_timer_.reset();
  LogStats();
  metrics_.reset();  // scraped until the end
  {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    stopped_ = true;
  }
  stopped_cv_.notify_all();
  spdlog::info("stopped");
}

void Server::Impl::Serve(grpc::ServerCompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) Operation::FromTag(tag)->Complete(ok);
}

ServerStats Server::Impl::stats() const {
  const Room::Stats room = backend_->stats();
  ServerStats stats;
  stats.users = room.users;
  stats.subscribers = room.subscribers;
  stats.streams = counters_.listen_calls.load(std::memory_order_relaxed);
  stats.messages = room.messages;
  stats.deliveries = counters_.deliveries.load(std::memory_order_relaxed);
  stats.evictions = room.evictions;
  stats.sessions = room.sessions;
  stats.held = room.held;
  stats.waiting = room.waiting;
  stats.kept_messages = room.history_messages;
  stats.kept_bytes = room.history_bytes;
  return stats;
}

void Server::Impl::ServeUntilQuiet(std::chrono::steady_clock::time_point limit) {
  constexpr std::chrono::milliseconds kQuiet(20);
  std::uint64_t seen = counters_.calls.load(std::memory_order_relaxed);
  while (std::chrono::steady_clock::now() + kQuiet <= limit) {
    std::this_thread::sleep_for(kQuiet);
    const std::uint64_t now_seen = counters_.calls.load(std::memory_order_relaxed);
    if (now_seen == seen) return;
    seen = now_seen;
  }
}

void Server::Impl::LogStats() const {
  const ServerStats now = stats();
  spdlog::info(
      "stats: {} users, {} subscribers, {} streams, {} messages, {} deliveries, {} evictions, {} sessions ({} held), "
      "{} kept messages ({} bytes)",
      now.users, now.subscribers, now.streams, now.messages, now.deliveries, now.evictions, now.sessions, now.held,
      now.kept_messages, now.kept_bytes);
}

Result<std::unique_ptr<Observer>> Server::Impl::Observe(MessageHandler on_message, EndHandler on_end) {
  Result<std::unique_ptr<Observer::Impl>> observer =
      Observer::Impl::Start(backend_, options_.max_queued_messages, std::move(on_message), std::move(on_end));
  if (!observer.ok()) return observer.status();
  return std::make_unique<Observer>(std::move(observer).value());
}

Result<std::unique_ptr<Bot>> Server::Impl::AddBot(std::string_view name, BotHandler on_message, EndHandler on_end) {
  return Bot::Impl::Join(backend_, options_.max_queued_messages, name, std::move(on_message), std::move(on_end));
}

void Server::Impl::Wait() {
  std::unique_lock<std::mutex> lock(shutdown_mu_);
  stopped_cv_.wait(lock, [this] { return stopped_; });
}

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  if (options.redis.empty()) {
    return ServerWithBackend::Start(options, [](RoomOptions room) -> Result<std::shared_ptr<RoomBackend>> {
      return std::shared_ptr<RoomBackend>(std::make_shared<MemoryBackend>(std::move(room)));
    });
  }
  Result<RedisEndpoint> endpoint = ParseRedisUrl(options.redis);
  if (!endpoint.ok()) return endpoint.status();
  RedisBackendOptions redis;
  redis.endpoint = *endpoint;
  redis.prefix = options.redis_prefix;
  redis.node_name = options.node_name.empty() ? DefaultNodeName() : options.node_name;
  return ServerWithBackend::Start(options, [&redis](RoomOptions room) -> Result<std::shared_ptr<RoomBackend>> {
    Result<std::unique_ptr<RedisBackend>> backend = RedisBackend::Open(std::move(room), redis);
    if (!backend.ok()) return backend.status();
    return std::shared_ptr<RoomBackend>(std::move(backend).value());
  });
}

Result<std::unique_ptr<Server>> ServerWithBackend::Start(const ServerOptions& options,
                                                         const BackendFactory& make_backend) {
  if (Status problem = CheckOptions(options); !problem.ok()) return problem;
  auto impl = std::make_unique<Server::Impl>(options, make_backend);
  if (Status started = impl->Start(); !started.ok()) return started;
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

int Server::port() const { return impl_->port(); }
std::string Server::address() const { return impl_->address(); }
void Server::Shutdown(std::chrono::milliseconds grace) { impl_->Shutdown(grace); }
void Server::Wait() { impl_->Wait(); }
ServerStats Server::stats() const { return impl_->stats(); }
std::string Server::metrics_address() const { return impl_->metrics_address(); }

Result<std::unique_ptr<Observer>> Server::Observe(MessageHandler on_message, EndHandler on_end) {
  return impl_->Observe(std::move(on_message), std::move(on_end));
}

Result<std::unique_ptr<Bot>> Server::AddBot(std::string_view name, BotHandler on_message, EndHandler on_end) {
  return impl_->AddBot(name, std::move(on_message), std::move(on_end));
}

}  // namespace chat
