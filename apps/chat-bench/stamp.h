#ifndef CHAT_APPS_CHAT_BENCH_STAMP_H_
#define CHAT_APPS_CHAT_BENCH_STAMP_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chat::bench {

// The steady clock in nanoseconds. CLOCK_MONOTONIC, so it compares across processes of one host.
std::int64_t NowNanos();

// A message text of `size` bytes (at least kMinStampedSize) that starts with `sent_nanos`.
inline constexpr std::size_t kMinStampedSize = 21;
std::string StampedText(std::int64_t sent_nanos, std::size_t size);

// The send time a StampedText() carries; nullopt for any other text.
std::optional<std::int64_t> SentNanos(std::string_view text);

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_STAMP_H_
