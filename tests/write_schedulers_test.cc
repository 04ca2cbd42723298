// Which write scheduler a stream takes its turns from (server/write_scheduler.h). Only the
// assignment is tested here: no scheduler is asked for a turn, so none needs a completion queue.
#include <catch2/catch.hpp>

#include "server/write_scheduler.h"

namespace chat {
namespace {

TEST_CASE("every stream of one connection takes its turns from the same scheduler", "[write_scheduler]") {
  WriteSchedulers schedulers;
  schedulers.Add(nullptr);
  schedulers.Add(nullptr);
  WriteScheduler* first = schedulers.Assign("ipv4:127.0.0.1:40000");
  WriteScheduler* other = schedulers.Assign("ipv4:127.0.0.1:40002");
  CHECK(first != other);
  for (int i = 0; i < 5; ++i) CHECK(schedulers.Assign("ipv4:127.0.0.1:40000") == first);
}

TEST_CASE("a new connection goes to the scheduler with the fewest streams", "[write_scheduler]") {
  WriteSchedulers schedulers;
  schedulers.Add(nullptr);
  schedulers.Add(nullptr);
  WriteScheduler* busy = schedulers.Assign("ipv4:127.0.0.1:40000");
  schedulers.Assign("ipv4:127.0.0.1:40000");
  schedulers.Assign("ipv4:127.0.0.1:40000");  // three streams on one scheduler
  WriteScheduler* quiet = schedulers.Assign("ipv4:127.0.0.1:40002");
  REQUIRE(quiet != busy);
  // Three against one: the next two connections both go to the quieter one.
  CHECK(schedulers.Assign("ipv4:127.0.0.1:40004") == quiet);
  CHECK(schedulers.Assign("ipv4:127.0.0.1:40006") == quiet);
  // Three each now; the busy one's streams end, and it is the quieter one again.
  for (int i = 0; i < 3; ++i) schedulers.Release("ipv4:127.0.0.1:40000");
  CHECK(schedulers.Assign("ipv4:127.0.0.1:40008") == busy);
}

TEST_CASE("a connection whose streams all ended is forgotten, and placed afresh when it returns",
          "[write_scheduler]") {
  WriteSchedulers schedulers;
  schedulers.Add(nullptr);
  schedulers.Add(nullptr);
  WriteScheduler* first = schedulers.Assign("ipv4:127.0.0.1:40000");
  WriteScheduler* second = schedulers.Assign("ipv4:127.0.0.1:40002");
  schedulers.Release("ipv4:127.0.0.1:40000");
  schedulers.Assign("ipv4:127.0.0.1:40004");  // goes where 40000 was, now empty
  schedulers.Assign("ipv4:127.0.0.1:40006");  // one each: the first of the fewest
  // 40000 comes back with no stream open: it is placed by the counts, not by where it was.
  schedulers.Release("ipv4:127.0.0.1:40002");
  CHECK(schedulers.Assign("ipv4:127.0.0.1:40000") == second);
  CHECK(first != second);
  // A release of a connection with no stream open changes nothing.
  schedulers.Release("ipv4:127.0.0.1:49999");
}

}  // namespace
}  // namespace chat
