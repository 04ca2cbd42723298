#include "room/source_address.h"

#include <catch2/catch.hpp>

namespace chat {
namespace {

TEST_CASE("an IPv4 peer is counted by its address, without the port", "[source]") {
  CHECK(SourceAddress("ipv4:203.0.113.7:50123") == "ipv4:203.0.113.7");
  CHECK(SourceAddress("ipv4:127.0.0.1:1") == SourceAddress("ipv4:127.0.0.1:65535"));
}

TEST_CASE("an IPv6 peer is counted by its /64", "[source]") {
  CHECK(SourceAddress("ipv6:[2001:db8:1:2:3:4:5:6]:443") == "ipv6:2001:db8:1:2::/64");
  CHECK(SourceAddress("ipv6:[2001:db8:1:2:ffff::1]:1") == SourceAddress("ipv6:[2001:db8:1:2::9]:2"));
  CHECK(SourceAddress("ipv6:[2001:db8:1:3::1]:1") != SourceAddress("ipv6:[2001:db8:1:2::1]:1"));
  CHECK(SourceAddress("ipv6:[::1]:4000") == "ipv6:::/64");
  // gRPC 1.51 writes the peers of its calls as URIs, brackets percent-encoded.
  CHECK(SourceAddress("ipv6:%5B::1%5D:36590") == "ipv6:::/64");
  CHECK(SourceAddress("ipv6:%5B2001:db8:1:2:ffff::1%5D:1") == SourceAddress("ipv6:[2001:db8:1:2::9]:2"));
  CHECK(SourceAddress("ipv6:%5B::ffff:203.0.113.7%5D:50123") == "ipv4:203.0.113.7");
  CHECK(SourceAddress("ipv6:[fe80::1%eth0]:4000") == "ipv6:fe80::/64");
}

TEST_CASE("an IPv4 client of a dual-stack socket is counted as IPv4", "[source]") {
  CHECK(SourceAddress("ipv6:[::ffff:203.0.113.7]:50123") == "ipv4:203.0.113.7");
}

TEST_CASE("a peer string of another kind is its own source", "[source]") {
  CHECK(SourceAddress("bot:3") == "bot:3");
  CHECK(SourceAddress("ipv4:garbage") == "ipv4:garbage");
  CHECK(SourceAddress("ipv6:[not an address]:1") == "ipv6:[not an address]:1");
  CHECK(SourceAddress("") == "");
}

}  // namespace
}  // namespace chat
