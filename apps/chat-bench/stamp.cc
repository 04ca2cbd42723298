#include "stamp.h"

#include <charconv>
#include <chrono>

#include <fmt/format.h>

namespace chat::bench {

std::int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string StampedText(std::int64_t sent_nanos, std::size_t size) {
  std::string text = fmt::format("{:020} ", sent_nanos);
  text.resize(std::max(size, kMinStampedSize), 'x');
  return text;
}

std::optional<std::int64_t> SentNanos(std::string_view text) {
  std::int64_t nanos = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + std::min<std::size_t>(text.size(), 20), nanos);
  if (error != std::errc() || end != text.data() + 20) return std::nullopt;
  return nanos;
}

}  // namespace chat::bench
