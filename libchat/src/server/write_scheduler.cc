#include "server/write_scheduler.h"

#include <chrono>
#include <functional>

namespace chat {

void WriteScheduler::Schedule(WriteTurn* call) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_.push_back(call);
  if (armed_) return;  // the turn already on its way serves this call too
  armed_ = true;
  // A deadline already past: gRPC counts time in whole milliseconds and rounds a deadline up, so
  // "now" would wait for the next timer check, up to a millisecond away; a past one runs at once.
  alarm_.Set(queue_, std::chrono::system_clock::time_point(), on_alarm_.tag());
}

// The alarm is never cancelled, so `ok` is always true; the turns run either way, since every
// call in the list counts on its turn to let go of an operation.
void WriteScheduler::OnAlarm(bool /*ok*/) {
  std::vector<WriteTurn*> turns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    turns.swap(waiting_);
    armed_ = false;
  }
  for (WriteTurn* call : turns) call->TakeTurn();
}

WriteScheduler* WriteSchedulers::ForConnection(std::string_view peer) const {
  return schedulers_[std::hash<std::string_view>{}(peer) % schedulers_.size()].get();
}

}  // namespace chat
