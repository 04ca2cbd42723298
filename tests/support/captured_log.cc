#include "support/captured_log.h"

namespace chat::testing {

CapturedLog::CapturedLog(spdlog::level::level_enum level, std::size_t capacity)
    : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(capacity)), saved_(spdlog::default_logger()) {
  auto logger = std::make_shared<spdlog::logger>("captured", sink_);
  logger->set_pattern("%l %v");
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

CapturedLog::~CapturedLog() { spdlog::set_default_logger(saved_); }

std::vector<std::string> CapturedLog::lines() const {
  std::vector<std::string> lines = sink_->last_formatted();
  for (std::string& line : lines) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  }
  return lines;
}

}  // namespace chat::testing
