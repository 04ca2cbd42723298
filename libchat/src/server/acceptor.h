// Accepts TCP connections itself and hands each one to gRPC, which does the rest (TLS included).
//
// gRPC 1.51's own accept loop stops for good once accept() fails with EMFILE (CVE-2023-4785): a
// flood of idle connections that uses up the descriptors leaves the server unable to take a new
// connection ever again, while it goes on serving the old ones. It caps nothing either. This one
//  - refuses (closes at once) a connection beyond max_connections in total, or beyond
//    max_connections_per_address from one source address (source_address.h), or from an address
//    that is held off (HoldOff());
//  - keeps max_connections below the process's descriptor limit, and should accept() still fail
//    for want of descriptors, closes a spare one to accept and close the waiting connection, so
//    that the listening socket never stalls.
// gRPC takes a connection through its external-connection API, as if its own listener had accepted
// it: calls on it see the client's address as their peer, and channelz lists it.
//
// It counts a connection until gRPC closes its descriptor. gRPC does not say when; the descriptor is
// seen to be closed (or reused for another file) when a cap is reached, before anything is
// refused, and before HoldOff() shuts a connection down.
//
// Threading: one thread of its own accepts; HoldOff() may be called from any thread. mu_ guards the
// connection table and the held-off addresses.
#ifndef CHAT_SRC_SERVER_ACCEPTOR_H_
#define CHAT_SRC_SERVER_ACCEPTOR_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <grpcpp/server_builder.h>

#include "chat/status.h"

struct sockaddr_storage;

namespace chat {

// The peer string gRPC 1.51 gives the calls of a connection from `address` (ServerContext::peer()):
// "ipv4:203.0.113.7:50123", "ipv6:%5B2001:db8::1%5D:443" (the brackets percent-encoded), and an
// IPv4 client of a dual-stack socket as IPv4. A link-local IPv6 client's zone is left out, so its
// string is not gRPC's: what on_connection tells about it reaches nobody (see Room::ConnectionOpened).
std::string GrpcPeer(const sockaddr_storage& address);

class Acceptor {
 public:
  struct Options {
    std::string address;  // HOST:PORT; port 0 picks a free one
    std::size_t max_connections = 20000;
    std::size_t max_connections_per_address = 16;
    // Called on the accept thread with the peer string of every connection handed to gRPC
    // (GrpcPeer()), before gRPC has it: no call on that connection comes before it returned. Must
    // not block. May be empty.
    std::function<void(const std::string& peer)> on_connection;
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

  // Accepts on a thread of its own, handing each connection to `handoff` (which must outlive
  // Stop()), until Stop().
  void Start(grpc::experimental::ExternalConnectionAcceptor* handoff);
  // Stops accepting and closes the listening sockets; returns once the thread has stopped.
  // Connections already handed over are gRPC's.
  void Stop();

  // Shuts down every connection from `source` (a SourceAddress()) and refuses new ones from it
  // until `until`. gRPC sees each connection end as if the client had closed it, and ends its calls.
  // Returns how many connections were shut down.
  std::size_t HoldOff(const std::string& source, std::chrono::steady_clock::time_point until);

 private:
  struct Connection {
    std::string source;
    dev_t device = 0;  // of the socket, to tell it from a later file on the same descriptor
    ino_t inode = 0;
  };

  Acceptor(const Options& options, std::vector<int> sockets, int port);

  void Loop(grpc::experimental::ExternalConnectionAcceptor* handoff);
  void AcceptFrom(int socket, grpc::experimental::ExternalConnectionAcceptor* handoff);
  // Accepts the connection waiting on `socket` with a descriptor freed for it, and closes it.
  void RefuseWithoutDescriptors(int socket);
  // Why a connection from `source` may not be held (its address is held off, or a cap is reached),
  // or empty when it may. Forgets closed connections first if a cap would refuse it: those of
  // `source` at its cap, all of them (at most every kSweepInterval) at the total cap.
  std::string RefusalLocked(const std::string& source, std::chrono::steady_clock::time_point now);
  // Whether `descriptor` is still the socket accepted as `connection`.
  static bool StillOpen(int descriptor, const Connection& connection);
  // Forgets the connections among `descriptors` (a copy: forgetting changes the lists) whose
  // descriptor gRPC has closed.
  void ForgetClosedLocked(std::vector<int> descriptors);
  void ForgetLocked(int descriptor);

  const std::size_t max_connections_per_address_;
  const std::function<void(const std::string& peer)> on_connection_;
  std::size_t max_connections_;
  std::vector<int> sockets_;  // listening; closed by Stop()
  const int port_;
  int wake_fd_ = -1;   // an eventfd: Stop() wakes the loop with it
  int spare_fd_ = -1;  // closed to make room when accept() fails with EMFILE
  std::thread thread_;

  mutable std::mutex mu_;
  std::unordered_map<int, Connection> connections_;                    // by descriptor; guarded by mu_
  std::unordered_map<std::string, std::vector<int>> by_source_;         // descriptors; guarded by mu_
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> held_off_;  // until; guarded by mu_
  std::chrono::steady_clock::time_point last_sweep_;           // guarded by mu_
  std::chrono::steady_clock::time_point last_refusal_log_;     // accept thread only
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_ACCEPTOR_H_
