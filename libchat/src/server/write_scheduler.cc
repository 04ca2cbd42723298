#include "server/write_scheduler.h"

#include <chrono>
#include <algorithm>

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

void WriteSchedulers::Add(grpc::ServerCompletionQueue* queue) {
  schedulers_.push_back(std::make_unique<WriteScheduler>(queue));
  std::lock_guard<std::mutex> lock(mu_);
  streams_.push_back(0);
}

WriteScheduler* WriteSchedulers::Assign(const std::string& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, first] = connections_.try_emplace(peer);
  Assignment& assignment = it->second;
  if (first) {
    assignment.scheduler =
        static_cast<std::size_t>(std::min_element(streams_.begin(), streams_.end()) - streams_.begin());
  }
  ++assignment.streams;
  ++streams_[assignment.scheduler];
  return schedulers_[assignment.scheduler].get();
}

void WriteSchedulers::Release(const std::string& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = connections_.find(peer);
  if (it == connections_.end()) return;
  --streams_[it->second.scheduler];
  if (--it->second.streams == 0) connections_.erase(it);
}

}  // namespace chat
