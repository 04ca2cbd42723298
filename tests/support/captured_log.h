// Capturing what the code under test logs.
#ifndef CHAT_TESTS_SUPPORT_CAPTURED_LOG_H_
#define CHAT_TESTS_SUPPORT_CAPTURED_LOG_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace chat::testing {

// Makes the default logger keep its last `capacity` lines at `level` and above, formatted as
// "LEVEL text", for as long as it lives; then puts the previous logger back, also when a failed
// REQUIRE leaves the test early.
class CapturedLog {
 public:
  explicit CapturedLog(spdlog::level::level_enum level = spdlog::level::debug, std::size_t capacity = 100);
  ~CapturedLog();
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // The lines kept, oldest first, without their line ends.
  std::vector<std::string> lines() const;

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> saved_;
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_CAPTURED_LOG_H_
