// The server a chat-bench run measures: the one given (--server), a chat-server process started
// for the run (server_child.h), or one in this process (--in-process); and how to sample its CPU
// and memory.
#ifndef CHAT_APPS_CHAT_BENCH_BENCH_SERVER_H_
#define CHAT_APPS_CHAT_BENCH_BENCH_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "bench_run.h"
#include "chat/server.h"
#include "chat/status.h"
#include "process_stats.h"
#include "server_child.h"

namespace chat::bench {

class BenchServer {
 public:
  // Starts or names the server `options` asks for. A server it starts has the limits a load test
  // from this host needs: flood control off, the limits per source address as wide as the server's.
  static Result<std::unique_ptr<BenchServer>> Open(const BenchOptions& options);

  // Stops the server if this started it.
  ~BenchServer();

  BenchServer(const BenchServer&) = delete;
  BenchServer& operator=(const BenchServer&) = delete;

  const std::string& address() const { return address_; }
  // "started", "in-process" or "given".
  std::string kind() const;

  // The server's CPU time and RSS now; nullopt for a given server without --server-pid.
  std::optional<ServerSample> Sample() const;
  // What Sample() measures, for the report; empty when it measures nothing.
  std::string SampleSource() const;

 private:
  BenchServer() = default;

  std::unique_ptr<Server> in_process_;
  std::unique_ptr<ServerChild> child_;
  std::string address_;
  pid_t pid_ = 0;  // of a server process to sample, started or given
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_BENCH_SERVER_H_
