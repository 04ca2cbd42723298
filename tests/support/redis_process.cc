#include "support/redis_process.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "support/test_server.h"

extern char** environ;

namespace chat::testing {
namespace {

// A port the kernel just gave out and nothing holds: another process could take it before
// redis-server does, in which case Start() fails the test with redis-server's complaint.
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  close(fd);
  return ntohs(address.sin_port);
}

bool AnswersPing(int port) {
  const timeval timeout{0, 200000};
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (context == nullptr) return false;
  bool answered = false;
  if (context->err == 0) {
    redisSetTimeout(context, timeout);
    auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
    answered = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
    if (reply != nullptr) freeReplyObject(reply);
  }
  redisFree(context);
  return answered;
}

}  // namespace

RedisProcess::RedisProcess() : RedisProcess(Options{}) {}

RedisProcess::RedisProcess(Options options) : options_(options) {
  std::string pattern = (std::filesystem::temp_directory_path() / "chat-redis-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  directory_ = pattern;
  port_ = FreeLoopbackPort();
  Start();
}

RedisProcess::~RedisProcess() {
  if (pid_ > 0) {  // no REQUIRE here: a destructor may run while a failed test unwinds
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string RedisProcess::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

void RedisProcess::Start() {
  std::vector<std::string> arguments = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                        "--dir", directory_.string(), "--save", "", "--appendonly",
                                        options_.append_only ? "yes" : "no", "--appendfsync", "always",
                                        "--daemonize", "no", "--loglevel", "warning",
                                        "--logfile", (directory_ / "redis.log").string()};
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  // Its standard streams go to /dev/null (it logs to its file): a redis-server left behind by a
  // test process that crashed must not hold the test runner's pipes open, or ctest waits for it.
  posix_spawn_file_actions_t streams;
  posix_spawn_file_actions_init(&streams);
  for (const int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    posix_spawn_file_actions_addopen(&streams, fd, "/dev/null", O_RDWR, 0);
  }
  const int spawned = posix_spawnp(&pid_, "redis-server", &streams, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&streams);
  REQUIRE(spawned == 0);
  const bool up = Eventually([this] {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return true;  // it exited: the REQUIRE below says so
    }
    return AnswersPing(port_);
  });
  INFO("redis-server on port " << port_ << " in " << directory_);
  REQUIRE(up);
  REQUIRE(pid_ > 0);
}

void RedisProcess::Pause() { REQUIRE(kill(pid_, SIGSTOP) == 0); }

void RedisProcess::Resume() { REQUIRE(kill(pid_, SIGCONT) == 0); }

void RedisProcess::Kill() {
  REQUIRE(kill(pid_, SIGKILL) == 0);
  REQUIRE(waitpid(pid_, nullptr, 0) == pid_);
  pid_ = -1;
}

}  // namespace chat::testing
