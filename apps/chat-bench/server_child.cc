#include "server_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

extern char** environ;

namespace chat::bench {
namespace {

constexpr std::chrono::seconds kStartPatience{20};
constexpr std::chrono::seconds kStopPatience{5};

// What a load test from this host needs: every client comes from 127.0.0.1 and floods on purpose,
// and cancels all its streams at once when it ends (tests/e2e/harness.py LOAD_TEST, the same).
const std::vector<std::string> kLoadTestFlags = {
    "--max-rate", "0", "--max-address-rate", "0", "--max-registration-rate", "0",
    "--max-names-per-address", "20000", "--max-streams-per-address", "20000",
    "--max-streams-per-connection", "20000", "--max-connections-per-address", "20000",
    "--max-reset-rate", "0"};

// The first line `fd` gives within `patience`, without its newline; empty if none came.
std::string ReadLine(int fd, std::chrono::steady_clock::duration patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  std::string line;
  char c = 0;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, static_cast<int>(left.count())) <= 0) continue;
    if (read(fd, &c, 1) != 1) return {};
    if (c == '\n') return line;
    line += c;
  }
}

// Waits for `pid` to exit, at most `patience`; whether it did (and was reaped).
bool WaitForExit(pid_t pid, std::chrono::steady_clock::duration patience) {
  // glibc 2.36's <sys/pidfd.h> lacks extern "C": the system call itself.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd exited{pidfd, POLLIN, 0};
    poll(&exited, 1, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(patience).count()));
    close(pidfd);
  }
  return waitpid(pid, nullptr, WNOHANG) == pid;
}

}  // namespace

Result<std::string> ServerChild::FindBinary(const std::string& given) {
  if (!given.empty()) return given;
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    for (const auto& candidate : {self.parent_path() / "chat-server",
                                  self.parent_path().parent_path() / "chat-server" / "chat-server"}) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  return Status(StatusCode::kNotFound,
                "no chat-server beside chat-bench to measure: pass --server-bin PATH, --server HOST:PORT of "
                "a running server, or --in-process");
}

Result<std::unique_ptr<ServerChild>> ServerChild::Start(const std::string& binary, int threads) {
  std::vector<std::string> arguments = {binary, "--address", "127.0.0.1:0", "--log-level", "warn",
                                        "--stats-interval", "0"};
  arguments.insert(arguments.end(), kLoadTestFlags.begin(), kLoadTestFlags.end());
  if (threads > 0) arguments.insert(arguments.end(), {"--threads", std::to_string(threads)});
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Status(StatusCode::kUnavailable, "cannot make a pipe for chat-server");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);  // dup2 clears close-on-exec
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    return Status(StatusCode::kUnavailable, fmt::format("cannot start {}: {}", binary, std::strerror(spawned)));
  }
  // chat-server's first line: "chat-server listening on 127.0.0.1:PORT". Nothing else comes on its
  // standard output, which is closed here: a write to it would end the server with SIGPIPE.
  const std::string line = ReadLine(out[0], kStartPatience);
  close(out[0]);
  constexpr std::string_view kListening = "chat-server listening on ";
  const std::string address = line.rfind(kListening, 0) == 0 ? line.substr(kListening.size()) : std::string();
  if (address.empty() || address.find_first_of(" \t") != std::string::npos) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Status(StatusCode::kUnavailable,
                  fmt::format("{} did not start listening within {} s (it said \"{}\")", binary,
                              kStartPatience.count(), line));
  }
  return std::unique_ptr<ServerChild>(new ServerChild(pid, address));
}

ServerChild::~ServerChild() {
  kill(pid_, SIGTERM);
  if (WaitForExit(pid_, kStopPatience)) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

}  // namespace chat::bench
