// Accepts plaintext TCP connections itself and hands each one to gRPC.
//
// gRPC 1.51's own accept loop stops for good once accept() fails with EMFILE (CVE-2023-4785): a
// flood of idle connections that uses up the descriptors leaves the server unable to take a new
// connection ever again, while it goes on serving the old ones. It caps nothing either. This one
//  - refuses (closes at once) a connection beyond max_connections in total, or beyond
//    max_connections_per_address from one source address (source_address.h);
//  - keeps max_connections below the process's descriptor limit, and should accept() still fail
//    for want of descriptors, closes a spare one to accept and close the waiting connection, so
//    that the listening socket never stalls;
//  - remembers where each connection came from: gRPC names a connection it was handed by its
//    descriptor ("fd:12"), and PeerOf() turns that back into the client's "ipv4:ADDRESS:PORT".
//
// It counts a connection until gRPC closes its descriptor. gRPC does not say when; the descriptor is
// seen to be closed (or reused for another file) when a cap is reached, before anything is
// refused. A descriptor stays open while any call on its connection is alive, so PeerOf() for a
// live call never sees a later connection's entry.
//
// TLS needs gRPC's handshake, which gRPC 1.51 does not do on a handed-over connection: a TLS
// server listens with gRPC's own loop (server.cc), without these caps.
//
// Threading: one thread of its own accepts; PeerOf() may be called from any thread. mu_ guards the
// connection table.
#ifndef CHAT_SRC_SERVER_ACCEPTOR_H_
#define CHAT_SRC_SERVER_ACCEPTOR_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <grpcpp/server.h>

#include "chat/status.h"

namespace chat {

class Acceptor {
 public:
  struct Options {
    std::string address;  // HOST:PORT; port 0 picks a free one
    std::size_t max_connections = 20000;
    std::size_t max_connections_per_address = 16;
  };

  // Binds and listens on every address `options.address` resolves to, with one port for all.
  // UNAVAILABLE when it cannot. Nothing is accepted before Start().
  static Result<std::unique_ptr<Acceptor>> Listen(const Options& options);
  // Stops accepting (Stop()).
  ~Acceptor();

  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  int port() const { return port_; }
  // How many connections it will hold: options.max_connections, or less, to stay under the
  // descriptor limit.
  std::size_t max_connections() const { return max_connections_; }

  // Accepts on a thread of its own, handing each connection to `server`, until Stop().
  void Start(grpc::Server* server);
  // Stops accepting and closes the listening sockets; returns once the thread has stopped.
  // Connections already handed over are gRPC's.
  void Stop();

  // The client a call came from: for `grpc_peer` "fd:N", the peer of the connection accepted on
  // descriptor N ("ipv4:203.0.113.7:50123"); any other `grpc_peer` as it is.
  std::string PeerOf(std::string_view grpc_peer) const;

 private:
  struct Connection {
    std::string peer;
    std::string source;
    dev_t device = 0;  // of the socket, to tell it from a later file on the same descriptor
    ino_t inode = 0;
  };

  Acceptor(const Options& options, std::vector<int> sockets, int port);

  void Loop(grpc::Server* server);
  void AcceptFrom(int socket, grpc::Server* server);
  // Accepts the connection waiting on `socket` with a descriptor freed for it, and closes it.
  void RefuseWithoutDescriptors(int socket);
  // Whether a connection from `source` may be held; forgets closed connections first if a cap
  // would refuse it: those of `source` at its cap, all of them (at most every kSweepInterval) at
  // the total cap.
  bool MayHoldLocked(const std::string& source);
  // Forgets the connections among `descriptors` (a copy: forgetting changes the lists) whose
  // descriptor gRPC has closed.
  void ForgetClosedLocked(std::vector<int> descriptors);
  void ForgetLocked(int descriptor);

  const std::size_t max_connections_per_address_;
  std::size_t max_connections_;
  std::vector<int> sockets_;  // listening; closed by Stop()
  const int port_;
  int wake_fd_ = -1;   // an eventfd: Stop() wakes the loop with it
  int spare_fd_ = -1;  // closed to make room when accept() fails with EMFILE
  std::thread thread_;

  mutable std::mutex mu_;
  std::unordered_map<int, Connection> connections_;                    // by descriptor; guarded by mu_
  std::unordered_map<std::string, std::vector<int>> by_source_;         // descriptors; guarded by mu_
  std::chrono::steady_clock::time_point last_sweep_;           // guarded by mu_
  std::chrono::steady_clock::time_point last_refusal_log_;     // accept thread only
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_ACCEPTOR_H_
