// A TCP relay between clients and a server, for tests that cut connections on purpose.
#ifndef CHAT_TESTS_SUPPORT_TCP_PROXY_H_
#define CHAT_TESTS_SUPPORT_TCP_PROXY_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace chat::testing {

// Listens on a free loopback port and relays every connection it accepts to `target`, both ways,
// on one thread of its own. Cut() closes every relayed connection at once, as a network that
// breaks does, and turns new ones away (accepted and closed) until Restore(): a client then sees
// its server unreachable, while the server sees the connection close.
//
// Thread-safe. The destructor closes everything and joins the thread.
class TcpProxy {
 public:
  // The port the relay's connections to the server leave from.
  enum class SourcePort {
    kAny,  // any, as the kernel picks
    // One port, free when the first connection is made, for all of them (one at a time); each is
    // closed with a reset, which frees the port at once. The server then sees every connection with
    // the peer string of the one before, as when the kernel or a NAT gives a new connection the port
    // of a closed one.
    kSame,
  };

  // `target` is "127.0.0.1:PORT" (an IPv4 address, as TestServer::address() gives).
  explicit TcpProxy(const std::string& target, SourcePort source_port = SourcePort::kAny);
  ~TcpProxy();

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // "127.0.0.1:PORT", for ClientOptions::server_address.
  std::string address() const;

  // Returns once every relayed connection is closed; new ones are turned away from now on.
  void Cut();
  // Relays new connections again.
  void Restore();

  // Connections relayed so far (turned-away ones not counted).
  int relayed() const;

 private:
  struct Relay {
    int client_fd;
    int server_fd;
  };

  // The relay thread. It alone touches the relayed connections.
  void Run();
  // Turns away or relays a connection waiting on the listening socket.
  void Accept(std::vector<Relay>* relays);
  // A connection to the server from the port source_port_ asks for; -1 when it cannot be made.
  int ConnectToServer();
  // Binds `server_fd` to same_source_port_, choosing it first if need be.
  bool BindSourcePort(int server_fd);
  void CloseRelay(const Relay& relay) const;

  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // a pipe that wakes the relay thread's poll
  std::uint16_t port_ = 0;
  std::uint16_t target_port_ = 0;
  const SourcePort source_port_;
  std::uint16_t same_source_port_ = 0;  // SourcePort::kSame, once chosen; relay thread only

  mutable std::mutex mu_;
  std::condition_variable done_;
  std::uint64_t cuts_asked_ = 0;
  std::uint64_t cuts_done_ = 0;
  bool refusing_ = false;
  bool stopping_ = false;
  int relayed_ = 0;

  std::thread thread_;  // last: started once everything above is ready
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_TCP_PROXY_H_
