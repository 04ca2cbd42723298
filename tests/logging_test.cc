// What the room writes to the log: one info line per join, leave, rename and eviction, and one
// debug line per message.
#include <memory>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "room.h"

namespace chat {
namespace {

// Captures the default logger's lines for as long as it lives.
class CapturedLog {
 public:
  CapturedLog() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100)), saved_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("captured", sink_);
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(saved_); }

  // Without their line ends.
  std::vector<std::string> lines() const {
    std::vector<std::string> lines = sink_->last_formatted();
    for (std::string& line : lines) {
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    }
    return lines;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> saved_;
};

class Sink final : public Subscriber {
 public:
  explicit Sink(std::size_t capacity) : capacity_(capacity) {}
  bool Deliver(const MessagePtr&) override { return received_++ < capacity_; }
  void Close(const Status&) override {}

 private:
  std::size_t capacity_;
  std::size_t received_ = 0;
};

TEST_CASE("joins, renames, leaves and evictions are logged at info, each message at debug", "[room][log]") {
  CapturedLog log;
  RoomOptions options;
  options.max_rate = 0;
  Room room(options);
  Sink roomy(1000), cramped(2);
  REQUIRE(room.Register("ipv4:10.0.0.1:1", "alice")->code == RegistrationCode::kAdded);
  REQUIRE(room.Subscribe("ipv4:10.0.0.1:1", &roomy).ok());
  REQUIRE(room.Register("ipv4:10.0.0.2:2", "bob")->code == RegistrationCode::kAdded);
  REQUIRE(room.Subscribe("ipv4:10.0.0.2:2", &cramped).ok());
  REQUIRE(room.Register("ipv4:10.0.0.1:1", "alicia")->code == RegistrationCode::kAdded);
  REQUIRE(room.Post("ipv4:10.0.0.1:1", "", "@bob one").ok());
  REQUIRE(room.Post("ipv4:10.0.0.1:1", "", "two").ok());
  room.Unsubscribe("ipv4:10.0.0.1:1", &roomy);

  const std::vector<std::string> lines = log.lines();
  const auto has = [&](const std::string& line) { return std::find(lines.begin(), lines.end(), line) != lines.end(); };
  CHECK(has("info join alice (ipv4:10.0.0.1:1)"));
  CHECK(has("info join bob (ipv4:10.0.0.2:2)"));
  CHECK(has("info rename alice -> alicia (ipv4:10.0.0.1:1)"));
  CHECK(has("debug message 4 direct from 'alicia' to 'bob' (8 bytes)"));
  CHECK(has("info evicted bob (ipv4:10.0.0.2:2): queue full"));
  CHECK(has("info leave bob (ipv4:10.0.0.2:2): too slow"));
  CHECK(has("info leave alicia (ipv4:10.0.0.1:1)"));
  const auto is_info = [](const std::string& line) { return line.rfind("info ", 0) == 0; };
  CHECK(std::count_if(lines.begin(), lines.end(), is_info) == 6);
}

}  // namespace
}  // namespace chat
