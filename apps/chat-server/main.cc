// chat-server: serves one chat room over gRPC until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "chat/logging.h"
#include "chat/process.h"
#include "chat/server.h"

namespace {

std::chrono::milliseconds Seconds(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

}  // namespace

int main(int argc, char** argv) {
  chat::ServerOptions options;
  std::string log_level = "info";
  double registration_grace = 30, keepalive_time = 20, keepalive_timeout = 10, drain_timeout = 5, max_lag = 30;

  CLI::App app{"chat-server: a multi-user chat room served over gRPC.\n"
               "Stops cleanly on SIGINT or SIGTERM; open streams end with UNAVAILABLE."};
  app.add_option("--address", options.address, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--threads", options.threads, "Completion-queue threads; 0 means one per CPU core")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--max-text-bytes", options.max_text_bytes, "Longest message text accepted, in bytes")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--max-request-bytes", options.max_request_bytes,
                 "Largest request accepted at all, in bytes (bigger ones: RESOURCE_EXHAUSTED)")
      ->capture_default_str()
      ->check(CLI::Range(2048, 64 << 20));
  app.add_option("--max-users", options.max_users, "Most registered users at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-rate", options.max_rate,
                 "Messages per second per user (flood control); 0 turns flood control off")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-burst", options.max_burst, "Messages a user may send at once above --max-rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--max-address-rate", options.max_address_rate,
                 "Messages per second from one source address (IPv4 address or IPv6 /64), all its "
                 "connections together; 0 turns it off")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-address-burst", options.max_address_burst,
                 "Messages one source address may send at once above --max-address-rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--max-registration-rate", options.max_registration_rate,
                 "Names taken or changed per second from one source address; 0 turns it off")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-registration-burst", options.max_registration_burst,
                 "Names one source address may take at once above --max-registration-rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--max-names-per-address", options.max_names_per_address, "Most names one source address holds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-connections", options.max_connections,
                 "Most connections open at once, in total (lowered to stay under the open-file limit)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-connections-per-address", options.max_connections_per_address,
                 "Most connections open at once from one source address")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-reset-rate", options.max_reset_rate,
                 "Calls one source address may cancel per second before they are answered; beyond it its "
                 "connections are closed (rapid reset); 0 turns it off")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-reset-burst", options.max_reset_burst,
                 "Calls one source address may cancel at once above --max-reset-rate")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  double reset_flood_hold = 10;
  app.add_option("--reset-flood-hold", reset_flood_hold,
                 "Seconds an address that went beyond --max-reset-rate is refused new connections")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-streams", options.max_streams, "Most Listen and Subscribe streams open at once, in total")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-streams-per-address", options.max_streams_per_address,
                 "Most Listen and Subscribe streams open at once from one source address")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-streams-per-connection", options.max_streams_per_connection,
                 "Most Listen and Subscribe streams open at once on one connection")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--max-queue", options.max_queued_messages,
                 "Messages queued per Listen or Subscribe stream; a stream that overflows it is evicted")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-lag", max_lag,
                 "Seconds a message may wait in a stream's queue; a stream that lags longer is evicted")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--registration-grace", registration_grace,
                 "Seconds a registered name waits for its owner to open Listen")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  double session_hold = 120;
  app.add_option("--session-hold", session_hold,
                 "Seconds a session's name is held for its token after its last stream ended (a lost connection)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--history-messages", options.history_messages,
                 "Messages kept for replays and History; 0 keeps none")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--history-bytes", options.history_bytes,
                 "Bytes the kept messages may take (each counts its texts twice, plus 256)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{65536}, std::size_t{1} << 40));
  app.add_option("--drain-timeout", drain_timeout,
                 "Seconds an ending stream may take to drain its last write before it is cancelled")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--keepalive-time", keepalive_time, "Seconds between keepalive pings on a quiet connection")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--keepalive-timeout", keepalive_timeout,
                 "Seconds to wait for a ping's answer before closing the connection")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  std::string tls_certificate, tls_key;
  app.add_option("--tls-cert", tls_certificate, "Serve TLS with this certificate chain (PEM file); needs --tls-key")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", tls_key, "The private key (PEM file) of --tls-cert")->check(CLI::ExistingFile);
  long stats_interval = 60;
  app.add_option("--stats-interval", stats_interval, "Seconds between two log lines of counters; 0: none")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--metrics-address", options.metrics_address,
                 "Serve Prometheus metrics at http://HOST:PORT/metrics (HOST an IP address; port 0: any free "
                 "port); off when not given");
  app.add_option("--redis", options.redis,
                 "Share the room with other chat-servers through the Redis at redis://HOST:PORT[/DB]; without it "
                 "the room is this process's alone");
  app.add_option("--redis-prefix", options.redis_prefix, "The prefix of the room's keys in Redis")
      ->capture_default_str();
  app.add_option("--node-name", options.node_name,
                 "This server's name among the room's nodes, unique among those running (default: HOST:PID)");
  CLI11_PARSE(app, argc, argv);
  if (tls_certificate.empty() != tls_key.empty()) {
    fmt::print(stderr, "chat-server: --tls-cert and --tls-key go together\n");
    return 1;
  }
  for (auto [path, pem] : {std::pair{&tls_certificate, &options.tls_certificate_chain},
                           std::pair{&tls_key, &options.tls_private_key}}) {
    if (path->empty()) continue;
    chat::Result<std::string> contents = chat::ReadFileContents(*path);
    if (!contents.ok()) {
      fmt::print(stderr, "chat-server: {}\n", contents.status().message());
      return 1;
    }
    *pem = std::move(contents).value();
  }
  options.stats_interval = std::chrono::seconds(stats_interval);

  options.registration_grace = Seconds(registration_grace);
  options.drain_timeout = Seconds(drain_timeout);
  options.max_stream_lag = Seconds(max_lag);
  options.reset_flood_hold = Seconds(reset_flood_hold);
  options.session_hold = Seconds(session_hold);
  options.keepalive_time = Seconds(keepalive_time);
  options.keepalive_timeout = Seconds(keepalive_timeout);

  spdlog::set_default_logger(spdlog::stderr_color_mt("chat-server"));
  spdlog::set_level(spdlog::level::from_str(log_level));
  chat::RouteGrpcLogsToSpdlog();
  spdlog::debug("open file limit: {}", chat::RaiseOpenFileLimit());
  chat::DisableMutexDeadlockDetection();

  // Block the stop signals before any thread starts, so that every thread inherits the mask and
  // only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = chat::Server::Start(options);
  if (!server.ok()) {
    fmt::print(stderr, "chat-server: {}\n", server.status().message());
    return 1;
  }
  fmt::print("chat-server listening on {}\n", (*server)->address());
  // A second line only with metrics, so that scripts reading the first see no change.
  if (!options.metrics_address.empty()) {
    fmt::print("chat-server metrics on http://{}/metrics\n", (*server)->metrics_address());
  }
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("{}: stopping", strsignal(signal));
  (*server)->Shutdown(std::chrono::milliseconds(500));
  return 0;
}
