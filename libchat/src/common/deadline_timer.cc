#include "common/deadline_timer.h"

#include <utility>

namespace chat {

DeadlineTimer::DeadlineTimer(Task task) : task_(std::move(task)), thread_([this] { Loop(); }) {}

DeadlineTimer::~DeadlineTimer() { Stop(); }

void DeadlineTimer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void DeadlineTimer::RunBy(Time deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (next_run_ && *next_run_ <= deadline) return;
    next_run_ = deadline;
  }
  wake_.notify_one();
}

void DeadlineTimer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (!next_run_) {
      wake_.wait(lock);
      continue;
    }
    if (std::chrono::steady_clock::now() < *next_run_) {
      wake_.wait_until(lock, *next_run_);
      continue;  // woken early, or the deadline changed: look again
    }
    next_run_.reset();
    lock.unlock();
    const std::optional<Time> again = task_();
    lock.lock();
    if (again && (!next_run_ || *again < *next_run_)) next_run_ = again;
  }
}

}  // namespace chat
