#include "room/source_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <utility>

namespace chat {
namespace {

constexpr std::string_view kIpv4 = "ipv4:";
constexpr std::string_view kIpv6 = "ipv6:";

// "[addr]:port" or "%5Baddr%5D:port" -> "addr"; empty when the brackets are missing. gRPC 1.51
// writes its peers as URIs, with the brackets percent-encoded.
std::string_view Bracketed(std::string_view host_port) {
  for (const auto& [open, close] : {std::pair<std::string_view, std::string_view>{"[", "]"}, {"%5B", "%5D"}}) {
    if (host_port.substr(0, open.size()) != open) continue;
    const std::size_t end = host_port.find(close, open.size());
    if (end == std::string_view::npos) return {};
    return host_port.substr(open.size(), end - open.size());
  }
  return {};
}

std::string Ipv6Source(std::string_view text, std::string_view peer) {
  in6_addr address{};
  const std::string host(text.substr(0, text.find('%')));  // without a zone index
  if (inet_pton(AF_INET6, host.c_str(), &address) != 1) return std::string(peer);
  if (IN6_IS_ADDR_V4MAPPED(&address)) {
    char ipv4[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &address.s6_addr[12], ipv4, sizeof ipv4);
    return std::string(kIpv4) + ipv4;
  }
  std::memset(&address.s6_addr[8], 0, 8);  // the /64
  char prefix[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &address, prefix, sizeof prefix);
  return std::string(kIpv6) + prefix + "/64";
}

}  // namespace

std::string SourceAddress(std::string_view peer) {
  if (peer.substr(0, kIpv4.size()) == kIpv4) {
    const std::size_t port = peer.rfind(':');
    if (port > kIpv4.size()) return std::string(peer.substr(0, port));
  }
  if (peer.substr(0, kIpv6.size()) == kIpv6) {
    const std::string_view host = Bracketed(peer.substr(kIpv6.size()));
    if (!host.empty()) return Ipv6Source(host, peer);
  }
  return std::string(peer);
}

}  // namespace chat
