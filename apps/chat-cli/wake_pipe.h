// Wakes chat-cli's main loop from other threads and from signal handlers.
#ifndef CHAT_CLI_WAKE_PIPE_H_
#define CHAT_CLI_WAKE_PIPE_H_

#include <csignal>
#include <initializer_list>
#include <utility>
#include <vector>

namespace chat::cli {

// A non-blocking self-pipe the main loop polls. Notify() may be called from any thread; caught
// signals are written to it by handlers that do nothing else (write(2) is async-signal-safe), so
// the loop handles them on its own thread.
//
// At most one WakePipe may catch signals at a time: the handlers find it through a global.
class WakePipe {
 public:
  WakePipe();
  // Gives the caught signals their previous dispositions back.
  ~WakePipe();

  WakePipe(const WakePipe&) = delete;
  WakePipe& operator=(const WakePipe&) = delete;

  // The end to poll for reading.
  int fd() const { return read_fd_; }

  // Makes fd() readable. Thread-safe.
  void Notify();

  // From now on, each of `signals` is caught and reported by Drain() instead of acting.
  void CatchSignals(std::initializer_list<int> signals);

  // Empties the pipe and returns the signals caught since the last call, oldest first.
  std::vector<int> Drain();

  // Stops the process as SIGTSTP normally would, and returns when it is continued.
  void StopProcess();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::vector<std::pair<int, struct sigaction>> previous_;
};

}  // namespace chat::cli

#endif  // CHAT_CLI_WAKE_PIPE_H_
