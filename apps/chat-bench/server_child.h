// A chat-server process that chat-bench starts for itself, so that what it measures is a server
// on its own, not one sharing this process's gRPC (its pollers, executor and timers) with the load
// generator: in one process the two halves got less than half of what the same server does alone
// (docs/benchmarks.md).
#ifndef CHAT_APPS_CHAT_BENCH_SERVER_CHILD_H_
#define CHAT_APPS_CHAT_BENCH_SERVER_CHILD_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "chat/status.h"

namespace chat::bench {

class ServerChild {
 public:
  // The chat-server program: `given` when not empty, else the one installed beside chat-bench
  // (bin/chat-server) or built beside it (apps/chat-server/chat-server in a build tree). NOT_FOUND
  // with a sentence saying what to pass when there is none.
  static Result<std::string> FindBinary(const std::string& given);

  // Starts `binary` on a free loopback port with the limits a load test from this host needs (flood
  // control off, the limits per source address as wide as the server's) and `threads`
  // completion-queue threads (0: its default), and waits until it listens. UNAVAILABLE with the
  // reason when it does not start within 20 s.
  static Result<std::unique_ptr<ServerChild>> Start(const std::string& binary, int threads);

  // Stops the server: SIGTERM, then SIGKILL if it has not exited within 5 s.
  ~ServerChild();

  ServerChild(const ServerChild&) = delete;
  ServerChild& operator=(const ServerChild&) = delete;

  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  pid_t pid() const { return pid_; }

 private:
  ServerChild(pid_t pid, std::string address) : pid_(pid), address_(std::move(address)) {}

  pid_t pid_;
  std::string address_;
};

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_SERVER_CHILD_H_
