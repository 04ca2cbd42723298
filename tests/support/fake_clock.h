// A steady clock a test moves by hand, for a Room's RoomOptions::steady_now.
#ifndef CHAT_TESTS_SUPPORT_FAKE_CLOCK_H_
#define CHAT_TESTS_SUPPORT_FAKE_CLOCK_H_

#include <chrono>
#include <functional>

#include "room/room.h"

namespace chat::testing {

struct FakeClock {
  SteadyTime now = SteadyTime() + std::chrono::hours(1);

  // RoomOptions::steady_now reading this clock, which must outlive the room.
  std::function<SteadyTime()> Reader() {
    return [this] { return now; };
  }
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_FAKE_CLOCK_H_
