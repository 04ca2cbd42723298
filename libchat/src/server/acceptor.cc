#include "server/acceptor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "room/source_address.h"

namespace chat {

std::string GrpcPeer(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    return fmt::format("ipv4:{}:{}", text, ntohs(v4.sin_port));
  }
  const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
  if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
    inet_ntop(AF_INET, &v6.sin6_addr.s6_addr[12], text, sizeof text);
    return fmt::format("ipv4:{}:{}", text, ntohs(v6.sin6_port));
  }
  inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
  return fmt::format("ipv6:%5B{}%5D:{}", text, ntohs(v6.sin6_port));
}

namespace {

// Descriptors left to everything but connections: the listening sockets, gRPC's own event and
// epoll descriptors, log files, and what an embedding program opens.
constexpr std::size_t kDescriptorHeadroom = 256;
// A sweep of every connection (to find those gRPC closed) costs a system call each; under a flood
// at the total cap it runs at most this often.
constexpr std::chrono::milliseconds kSweepInterval{500};
constexpr std::chrono::seconds kRefusalLogInterval{1};

Status CannotListen(const std::string& address) {
  return Status(StatusCode::kUnavailable,
                fmt::format("cannot listen on {}: the port is in use or the address is not of this host", address));
}

// A listening socket on `address` with `port` (0: any), or -1.
int ListeningSocket(const addrinfo& address, int port) {
  sockaddr_storage bound{};
  std::memcpy(&bound, address.ai_addr, address.ai_addrlen);
  if (bound.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(bound).sin_port = htons(static_cast<std::uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in6&>(bound).sin6_port = htons(static_cast<std::uint16_t>(port));
  }
  const int socket_fd = socket(address.ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (socket_fd < 0) return -1;
  const int on = 1, off = 0;
  setsockopt(socket_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // not SO_REUSEPORT: a port in use stays refused
  if (address.ai_family == AF_INET6) setsockopt(socket_fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  if (bind(socket_fd, reinterpret_cast<const sockaddr*>(&bound), address.ai_addrlen) != 0 ||
      listen(socket_fd, SOMAXCONN) != 0) {
    close(socket_fd);
    return -1;
  }
  return socket_fd;
}

int BoundPort(int socket_fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (getsockname(socket_fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return 0;
  return bound.ss_family == AF_INET ? ntohs(reinterpret_cast<const sockaddr_in&>(bound).sin_port)
                                    : ntohs(reinterpret_cast<const sockaddr_in6&>(bound).sin6_port);
}

std::size_t ConnectionsUnderDescriptorLimit(std::size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  const std::size_t descriptors = limit.rlim_cur;
  const std::size_t room = descriptors > 2 * kDescriptorHeadroom ? descriptors - kDescriptorHeadroom : descriptors / 2;
  if (wanted <= room) return wanted;
  spdlog::info("at most {} connections, not {}: the process may open {} files (raise its limit for more)", room,
               wanted, descriptors);
  return room;
}

}  // namespace

Result<std::unique_ptr<Acceptor>> Acceptor::Listen(const Options& options) {
  const std::size_t colon = options.address.rfind(':');
  if (colon == std::string::npos) return CannotListen(options.address);
  std::string host = options.address.substr(0, colon);
  const std::string port = options.address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found) != 0) {
    return CannotListen(options.address);
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  std::vector<int> sockets;
  int bound_port = std::atoi(port.c_str());
  for (const addrinfo* address = addresses.get(); address != nullptr; address = address->ai_next) {
    const int socket_fd = ListeningSocket(*address, bound_port);
    if (socket_fd < 0) {
      for (const int open : sockets) close(open);
      return CannotListen(options.address);
    }
    sockets.push_back(socket_fd);
    bound_port = BoundPort(socket_fd);  // the port a port of 0 chose, for the other addresses too
  }
  if (sockets.empty()) return CannotListen(options.address);
  return std::unique_ptr<Acceptor>(new Acceptor(options, std::move(sockets), bound_port));
}

Acceptor::Acceptor(const Options& options, std::vector<int> sockets, int port)
    : max_connections_per_address_(options.max_connections_per_address),
      on_connection_(options.on_connection),
      max_connections_(ConnectionsUnderDescriptorLimit(options.max_connections)),
      sockets_(std::move(sockets)),
      port_(port),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      spare_fd_(open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

Acceptor::~Acceptor() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
  if (spare_fd_ >= 0) close(spare_fd_);
}

void Acceptor::Start(grpc::experimental::ExternalConnectionAcceptor* handoff) {
  thread_ = std::thread([this, handoff] { Loop(handoff); });
}

void Acceptor::Stop() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof one) != sizeof one) spdlog::error("cannot wake the accept thread: {}", errno);
    thread_.join();
  }
  // Closed, not just left alone: a client that connects now is refused at once instead of waiting in
  // the backlog for an accept that never comes.
  for (int& socket_fd : sockets_) {
    if (socket_fd >= 0) close(std::exchange(socket_fd, -1));
  }
}

std::size_t Acceptor::HoldOff(const std::string& source, std::chrono::steady_clock::time_point until) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(held_off_, [now = std::chrono::steady_clock::now()](const auto& held) { return held.second <= now; });
  held_off_[source] = until;
  if (const auto of_source = by_source_.find(source); of_source != by_source_.end()) {
    ForgetClosedLocked(of_source->second);
  }
  const auto open = by_source_.find(source);  // forgetting the last one erased the entry
  if (open == by_source_.end()) return 0;
  // Not close(): the descriptors are gRPC's. After shutdown() their reads and writes fail, and gRPC
  // closes each connection and its descriptor as it would for a client that went away.
  for (const int descriptor : open->second) shutdown(descriptor, SHUT_RDWR);
  return open->second.size();
}

void Acceptor::Loop(grpc::experimental::ExternalConnectionAcceptor* handoff) {
  std::vector<pollfd> watched;
  for (const int socket_fd : sockets_) watched.push_back(pollfd{socket_fd, POLLIN, 0});
  watched.push_back(pollfd{wake_fd_, POLLIN, 0});
  while (true) {
    if (poll(watched.data(), watched.size(), -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("the accept loop stopped: poll failed with {}", std::strerror(errno));
      return;
    }
    if (watched.back().revents != 0) return;  // Stop()
    for (std::size_t i = 0; i + 1 < watched.size(); ++i) {
      if (watched[i].revents != 0) AcceptFrom(watched[i].fd, handoff);
    }
  }
}

void Acceptor::AcceptFrom(int socket_fd, grpc::experimental::ExternalConnectionAcceptor* handoff) {
  while (true) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int connection = accept4(socket_fd, reinterpret_cast<sockaddr*>(&address), &length,
                                   SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (connection < 0) {
      switch (errno) {
        case EINTR:
        case ECONNABORTED:  // the client gave up while waiting
        case EPROTO:
          continue;
        case EMFILE:
        case ENFILE:
          RefuseWithoutDescriptors(socket_fd);
          continue;
        case EAGAIN:
          return;
        default:  // ENOBUFS, ENOMEM: poll() tells again when there is a connection waiting
          spdlog::warn("accept failed: {}", std::strerror(errno));
          return;
      }
    }
    const std::string peer = GrpcPeer(address);
    std::string source = SourceAddress(peer);
    struct stat status {};
    fstat(connection, &status);
    std::string refusal;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (connections_.count(connection) != 0) ForgetLocked(connection);  // the kernel reused a closed one's
      refusal = RefusalLocked(source, std::chrono::steady_clock::now());
      if (refusal.empty()) {
        connections_[connection] = Connection{source, status.st_dev, status.st_ino};
        by_source_[std::move(source)].push_back(connection);
      }
    }
    if (!refusal.empty()) {
      close(connection);
      const auto now = std::chrono::steady_clock::now();
      if (now - last_refusal_log_ >= kRefusalLogInterval) {
        last_refusal_log_ = now;
        spdlog::warn("refused a connection from {}: {}", peer, refusal);
      }
      continue;
    }
    const int on = 1;  // gRPC's own listener does the same: chat messages are small and wait for nothing
    setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (on_connection_) on_connection_(peer);
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters handed{socket_fd, connection, {}};
    handoff->HandleNewConnection(&handed);
  }
}

void Acceptor::RefuseWithoutDescriptors(int socket_fd) {
  if (spare_fd_ < 0) {
    spdlog::error("no descriptor is left to refuse a connection with; the listening socket waits");
    return;
  }
  close(spare_fd_);
  const int connection = accept4(socket_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (connection >= 0) close(connection);
  spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  spdlog::warn("refused a connection: the process has no descriptor left (its open-file limit)");
}

std::string Acceptor::RefusalLocked(const std::string& source, std::chrono::steady_clock::time_point now) {
  if (const auto held = held_off_.find(source); held != held_off_.end()) {
    if (now < held->second) return "its address is held off for cancelling too many calls";
    held_off_.erase(held);
  }
  const auto source_full = [&] {
    const auto of_source = by_source_.find(source);
    return of_source != by_source_.end() && of_source->second.size() >= max_connections_per_address_;
  };
  if (source_full()) ForgetClosedLocked(by_source_.at(source));
  if (source_full()) return fmt::format("its address has {} connections, the most it may", max_connections_per_address_);
  if (connections_.size() < max_connections_) return {};
  if (now - last_sweep_ >= kSweepInterval) {
    last_sweep_ = now;
    std::vector<int> all;
    all.reserve(connections_.size());
    for (const auto& [descriptor, connection] : connections_) all.push_back(descriptor);
    ForgetClosedLocked(std::move(all));
  }
  if (connections_.size() < max_connections_) return {};
  return fmt::format("the server has {} connections, the most it holds", max_connections_);
}

void Acceptor::ForgetClosedLocked(std::vector<int> descriptors) {
  for (const int descriptor : descriptors) {
    if (!StillOpen(descriptor, connections_.at(descriptor))) ForgetLocked(descriptor);
  }
}

bool Acceptor::StillOpen(int descriptor, const Connection& connection) {
  struct stat status {};
  return fstat(descriptor, &status) == 0 && status.st_dev == connection.device && status.st_ino == connection.inode;
}

void Acceptor::ForgetLocked(int descriptor) {
  const auto connection = connections_.find(descriptor);
  const auto source = by_source_.find(connection->second.source);
  std::erase(source->second, descriptor);
  if (source->second.empty()) by_source_.erase(source);
  connections_.erase(connection);
}

}  // namespace chat
