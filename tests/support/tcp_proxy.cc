#include "support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>

namespace chat::testing {
namespace {

sockaddr_in Loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// Writes all of `data`; false when the peer is gone.
bool SendAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

// Moves what `from` has to `to`; false when either side is done.
bool Forward(int from, int to) {
  std::array<char, 65536> buffer;
  const ssize_t got = recv(from, buffer.data(), buffer.size(), 0);
  if (got < 0 && errno == EINTR) return true;
  if (got <= 0) return false;
  return SendAll(to, buffer.data(), static_cast<std::size_t>(got));
}

}  // namespace

TcpProxy::TcpProxy(const std::string& target, SourcePort source_port) : source_port_(source_port) {
  const std::size_t colon = target.rfind(':');
  if (colon == std::string::npos || target.substr(0, colon) != "127.0.0.1") {
    throw std::invalid_argument("TcpProxy relays to 127.0.0.1:PORT only, not " + target);
  }
  target_port_ = static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1)));

  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in any_port = Loopback(0);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<const sockaddr*>(&any_port), sizeof any_port) != 0 ||
      listen(listen_fd_, 64) != 0 || pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error("TcpProxy cannot listen");
  }
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.sin_port);
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  const char wake = 0;
  (void)!write(wake_fds_[1], &wake, 1);
  thread_.join();
  close(listen_fd_);
  close(wake_fds_[0]);
  close(wake_fds_[1]);
}

std::string TcpProxy::address() const { return "127.0.0.1:" + std::to_string(port_); }

void TcpProxy::Cut() {
  std::unique_lock<std::mutex> lock(mu_);
  refusing_ = true;
  const std::uint64_t cut = ++cuts_asked_;
  const char wake = 0;
  (void)!write(wake_fds_[1], &wake, 1);
  done_.wait(lock, [&] { return cuts_done_ >= cut; });
}

void TcpProxy::Restore() {
  std::lock_guard<std::mutex> lock(mu_);
  refusing_ = false;
}

int TcpProxy::relayed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return relayed_;
}

void TcpProxy::Run() {
  std::vector<Relay> relays;
  std::vector<pollfd> fds;
  while (true) {
    fds.assign({{wake_fds_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}});
    for (const Relay& relay : relays) {
      fds.push_back({relay.client_fd, POLLIN, 0});
      fds.push_back({relay.server_fd, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR

    if (fds[0].revents != 0) {
      char drained[64];
      while (read(wake_fds_[0], drained, sizeof drained) > 0) {
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || cuts_done_ < cuts_asked_) {
        for (const Relay& relay : relays) CloseRelay(relay);
        relays.clear();
        cuts_done_ = cuts_asked_;
        done_.notify_all();
      }
      if (stopping_) return;
      continue;  // the poll set is stale
    }

    // Relays that end are closed and dropped; the rest keep their order.
    std::vector<Relay> kept;
    for (std::size_t i = 0; i < relays.size(); ++i) {
      const Relay& relay = relays[i];
      const short client_events = fds[2 + 2 * i].revents;
      const short server_events = fds[3 + 2 * i].revents;
      bool open = true;
      if (client_events != 0) open = Forward(relay.client_fd, relay.server_fd);
      if (open && server_events != 0) open = Forward(relay.server_fd, relay.client_fd);
      if (open) {
        kept.push_back(relay);
      } else {
        CloseRelay(relay);
      }
    }
    relays.swap(kept);
    if (fds[1].revents != 0) Accept(&relays);
  }
}

void TcpProxy::Accept(std::vector<Relay>* relays) {
  const int client_fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client_fd < 0) return;
  bool refusing = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    refusing = refusing_;
  }
  const int server_fd = refusing ? -1 : ConnectToServer();
  if (server_fd < 0) {
    close(client_fd);
    return;
  }
  relays->push_back({client_fd, server_fd});
  std::lock_guard<std::mutex> lock(mu_);
  ++relayed_;
}

int TcpProxy::ConnectToServer() {
  const int server_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server_fd < 0) return -1;
  if (source_port_ == SourcePort::kSame && !BindSourcePort(server_fd)) {
    close(server_fd);
    return -1;
  }
  const sockaddr_in target = Loopback(target_port_);
  if (connect(server_fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
    close(server_fd);
    return -1;
  }
  return server_fd;
}

bool TcpProxy::BindSourcePort(int server_fd) {
  const int on = 1;
  setsockopt(server_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const auto bind_to = [server_fd](std::uint16_t port) {
    const sockaddr_in source = Loopback(port);
    return bind(server_fd, reinterpret_cast<const sockaddr*>(&source), sizeof source) == 0;
  };
  if (same_source_port_ != 0) return bind_to(same_source_port_);
  // Below Linux's range of ports for outgoing connections (32768 and up unless configured), so
  // that the kernel never gives it to a connection of another test while this one's is closed.
  for (std::uint16_t port = 20000 + static_cast<std::uint16_t>(getpid() % 10000); port < 32768; ++port) {
    if (bind_to(port)) {
      same_source_port_ = port;
      return true;
    }
  }
  return false;
}

void TcpProxy::CloseRelay(const Relay& relay) const {
  if (source_port_ == SourcePort::kSame) {
    const linger reset{1, 0};  // no TIME_WAIT to keep the port from the next connection
    setsockopt(relay.server_fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  close(relay.client_fd);
  close(relay.server_fd);
}

}  // namespace chat::testing
