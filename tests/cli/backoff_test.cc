// Backoff: the waits between reconnection attempts grow, within bounds.
#include <catch2/catch.hpp>

#include <set>

#include "backoff.h"

namespace chat::cli {
namespace {

using std::chrono::milliseconds;

TEST_CASE("each wait doubles, within 20% either way, until the cap", "[backoff]") {
  for (std::uint32_t seed = 0; seed < 50; ++seed) {
    Backoff backoff(milliseconds(250), milliseconds(4000), seed);
    for (const int base : {250, 500, 1000, 2000, 4000, 4000, 4000}) {
      const milliseconds wait = backoff.Next();
      INFO("seed " << seed << ", base " << base);
      CHECK(wait >= milliseconds(base * 8 / 10));
      CHECK(wait <= milliseconds(base * 12 / 10));
    }
  }
}

TEST_CASE("a first wait above the cap starts at the cap", "[backoff]") {
  Backoff backoff(milliseconds(10000), milliseconds(1000), 1);
  CHECK(backoff.Next() <= milliseconds(1200));
}

TEST_CASE("waits are spread, so that clients do not come back all at once", "[backoff]") {
  std::set<milliseconds::rep> firsts;
  for (std::uint32_t seed = 0; seed < 20; ++seed) firsts.insert(Backoff(milliseconds(1000), milliseconds(4000), seed).Next().count());
  CHECK(firsts.size() > 10);
}

}  // namespace
}  // namespace chat::cli
