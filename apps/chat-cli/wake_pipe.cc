#include "wake_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace chat::cli {
namespace {

// A byte that is no signal number.
constexpr char kNotified = 0;

std::atomic<int> signal_fd{-1};

void WriteSignal(int signal) {
  const int saved_errno = errno;
  const char byte = static_cast<char>(signal);
  // Nothing to do when the pipe is full: the loop is already due to wake up.
  [[maybe_unused]] const ssize_t written = write(signal_fd.load(), &byte, 1);
  errno = saved_errno;
}

}  // namespace

WakePipe::WakePipe() {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) std::abort();  // out of descriptors at start-up
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

WakePipe::~WakePipe() {
  for (const auto& [signal, action] : previous_) sigaction(signal, &action, nullptr);
  if (!previous_.empty()) signal_fd.store(-1);
  close(read_fd_);
  close(write_fd_);
}

void WakePipe::Notify() {
  [[maybe_unused]] const ssize_t written = write(write_fd_, &kNotified, 1);
}

void WakePipe::CatchSignals(std::initializer_list<int> signals) {
  signal_fd.store(write_fd_);
  struct sigaction action = {};
  action.sa_handler = WriteSignal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int signal : signals) {
    struct sigaction previous = {};
    sigaction(signal, &action, &previous);
    previous_.emplace_back(signal, previous);
  }
}

std::vector<int> WakePipe::Drain() {
  std::vector<int> signals;
  char buffer[256];
  ssize_t got = 0;
  while ((got = read(read_fd_, buffer, sizeof buffer)) > 0) {
    for (ssize_t i = 0; i < got; ++i) {
      if (buffer[i] != kNotified) signals.push_back(buffer[i]);
    }
  }
  return signals;
}

void WakePipe::StopProcess() {
  struct sigaction stop = {};
  stop.sa_handler = SIG_DFL;
  sigemptyset(&stop.sa_mask);
  struct sigaction ours = {};
  sigaction(SIGTSTP, &stop, &ours);
  raise(SIGTSTP);
  sigaction(SIGTSTP, &ours, nullptr);
}

}  // namespace chat::cli
