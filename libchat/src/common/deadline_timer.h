#ifndef CHAT_SRC_COMMON_DEADLINE_TIMER_H_
#define CHAT_SRC_COMMON_DEADLINE_TIMER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace chat {

// Runs a task on its own thread at the times it is asked to, and sleeps otherwise (no polling).
// The task returns when it wants to run next, if ever; RunBy() asks for an earlier run from any
// thread. The server uses one to free names whose owners never opened a Listen stream, and one to
// log its counters.
//
// Threading: RunBy() may be called from any thread, including with the room's lock held; the task
// runs on the timer's thread without mu_ held.
class DeadlineTimer {
 public:
  using Time = std::chrono::steady_clock::time_point;
  using Task = std::function<std::optional<Time>()>;

  explicit DeadlineTimer(Task task);
  // Stop().
  ~DeadlineTimer();

  // Stops the thread; a task already running finishes first. Afterwards RunBy does nothing. An
  // owner whose task reaches the timer again (through the pointer that holds it) stops it before
  // it lets the pointer go, so that the task never reads the pointer while it changes.
  void Stop();

  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Makes sure the task runs no later than `deadline`.
  void RunBy(Time deadline);

 private:
  void Loop();

  const Task task_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::optional<Time> next_run_;        // guarded by mu_
  bool stopping_ = false;               // guarded by mu_
  std::thread thread_;                  // last: starts after the fields it reads are ready
};

}  // namespace chat

#endif  // CHAT_SRC_COMMON_DEADLINE_TIMER_H_
