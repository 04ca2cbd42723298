// Where a connection comes from, as the limits per source address count it.
#ifndef CHAT_SRC_ROOM_SOURCE_ADDRESS_H_
#define CHAT_SRC_ROOM_SOURCE_ADDRESS_H_

#include <string>
#include <string_view>

namespace chat {

// The source a peer's limits are counted against, from a gRPC peer string:
//   "ipv4:203.0.113.7:50123"          -> "ipv4:203.0.113.7"
//   "ipv6:[2001:db8:1:2:3:4:5:6]:443" -> "ipv6:2001:db8:1:2::/64"
//   "ipv6:%5B2001:db8:1:2::9%5D:443"  -> "ipv6:2001:db8:1:2::/64"  (gRPC's own way of writing it)
//   "ipv6:[::ffff:203.0.113.7]:50123" -> "ipv4:203.0.113.7"   (an IPv4 client of a dual-stack socket)
// An IPv6 client is counted by its /64, the smallest block a host is given: counting single IPv6
// addresses would let one host take 2^64 of them. Anything else ("bot:3", a peer string this code
// does not know) is its own source. Pure and thread-safe.
std::string SourceAddress(std::string_view peer);

}  // namespace chat

#endif  // CHAT_SRC_ROOM_SOURCE_ADDRESS_H_
