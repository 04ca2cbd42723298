// A real redis-server for a test: on a free loopback port, in a temporary directory of its own,
// with its append-only file on or off; stopped, and the directory removed, when it goes out of
// scope. It can be paused (SIGSTOP), resumed, killed (SIGKILL) and started again on the same port
// and directory, which it then loads from its append-only file.
#ifndef CHAT_TESTS_SUPPORT_REDIS_PROCESS_H_
#define CHAT_TESTS_SUPPORT_REDIS_PROCESS_H_

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace chat::testing {

class RedisProcess {
 public:
  struct Options {
    bool append_only = false;
  };

  // Starts redis-server and waits until it answers PING; fails the test if it does not.
  RedisProcess();
  explicit RedisProcess(Options options);
  ~RedisProcess();

  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  int port() const { return port_; }
  // redis://127.0.0.1:PORT
  std::string url() const;

  void Pause();   // SIGSTOP
  void Resume();  // SIGCONT
  // SIGKILL, and waits for it to be gone.
  void Kill();
  // Starts it again on the same port and directory, and waits until it answers PING.
  void Start();

 private:
  const Options options_;
  std::filesystem::path directory_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_REDIS_PROCESS_H_
