#include "bench_server.h"

#include <chrono>

#include <fmt/format.h>

namespace chat::bench {

Result<std::unique_ptr<BenchServer>> BenchServer::Open(const BenchOptions& options) {
  std::unique_ptr<BenchServer> server(new BenchServer());
  server->address_ = options.server;
  server->pid_ = options.server_pid;
  if (!options.server.empty()) return server;
  if (!options.in_process) {
    Result<std::string> binary = ServerChild::FindBinary(options.server_binary);
    if (!binary.ok()) return binary.status();
    Result<std::unique_ptr<ServerChild>> started = ServerChild::Start(*binary, options.server_threads);
    if (!started.ok()) return started.status();
    server->child_ = std::move(started).value();
    server->address_ = server->child_->address();
    server->pid_ = server->child_->pid();
    return server;
  }
  ServerOptions server_options;
  server_options.address = "127.0.0.1:0";
  server_options.threads = options.server_threads;
  // The senders are meant to flood, and every client comes from 127.0.0.1: flood control and the
  // limits per source address are off, the stream caps as wide as the room's.
  server_options.max_rate = 0;
  server_options.max_address_rate = 0;
  server_options.max_registration_rate = 0;
  server_options.max_names_per_address = server_options.max_users;
  server_options.max_streams_per_address = server_options.max_streams;
  server_options.max_streams_per_connection = server_options.max_streams;
  server_options.max_connections_per_address = server_options.max_connections;
  server_options.max_reset_rate = 0;  // the readers cancel every stream at once when the run ends
  Result<std::unique_ptr<Server>> started = Server::Start(server_options);
  if (!started.ok()) return started.status();
  server->in_process_ = std::move(started).value();
  server->address_ = fmt::format("127.0.0.1:{}", server->in_process_->port());
  return server;
}

BenchServer::~BenchServer() {
  if (in_process_ != nullptr) in_process_->Shutdown(std::chrono::seconds(1));
}

std::string BenchServer::kind() const {
  if (child_ != nullptr) return "started";
  return in_process_ != nullptr ? "in-process" : "given";
}

std::optional<ServerSample> BenchServer::Sample() const {
  if (in_process_ != nullptr) return SampleThisProcess("chat-cq-");
  if (pid_ > 0) return SampleProcess(pid_);
  return std::nullopt;
}

std::string BenchServer::SampleSource() const {
  if (in_process_ != nullptr) return "in-process (CPU of its completion-queue threads; RSS of the whole process)";
  if (pid_ > 0) return fmt::format("process {}", pid_);
  return "";
}

}  // namespace chat::bench
