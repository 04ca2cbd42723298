#include "backend/redis/log_record.h"

#include <array>
#include <charconv>
#include <chrono>

#include <fmt/format.h>

namespace chat {
namespace {

constexpr char kSeparator = '\x1f';
constexpr std::size_t kFields = 10;
constexpr std::uint64_t kSessionMoved = 9;  // the kind field of a record that a session moved

std::optional<std::uint64_t> Number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

DirectTemplate EncodeDirectTemplate(const LogRecord& record) {
  const ChatMessage& message = record.message;
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(message.server_time.time_since_epoch()).count();
  return DirectTemplate{
      fmt::format("1{0}{1}{0}{2}{0}{3}{0}", kSeparator, static_cast<int>(message.kind), micros, message.from),
      fmt::format("{0}{1}{0}", kSeparator, record.audience.from),
      fmt::format("{0}{1}{0}{2}{0}{3}", kSeparator, record.participant, record.old_name, message.text)};
}

std::string EncodeLogRecord(const LogRecord& record) {
  const DirectTemplate parts = EncodeDirectTemplate(record);
  return fmt::format("{}{}{}{}{}", parts.head, record.message.to, parts.middle, record.audience.to, parts.tail);
}

std::optional<LogRecord> DecodeLogRecord(std::uint64_t id, std::string_view payload) {
  std::array<std::string_view, kFields> fields;
  for (std::size_t i = 0; i + 1 < kFields; ++i) {
    const std::size_t end = payload.find(kSeparator);
    if (end == std::string_view::npos) return std::nullopt;
    fields[i] = payload.substr(0, end);
    payload.remove_prefix(end + 1);
  }
  fields[kFields - 1] = payload;
  const auto kind = Number(fields[1]);
  const auto micros = Number(fields[2]);
  const auto audience_from = Number(fields[5]);
  const auto audience_to = Number(fields[6]);
  const auto participant = Number(fields[7]);
  const bool moved = kind && *kind == kSessionMoved;
  if (fields[0] != "1" || !kind || (*kind > static_cast<std::uint64_t>(MessageKind::kNotice) && !moved) || !micros ||
      !audience_from || !audience_to || !participant || (moved && fields[8].empty())) {
    return std::nullopt;
  }
  LogRecord record;
  record.message.id = id;
  record.message.kind = static_cast<MessageKind>(*kind);
  record.message.server_time = std::chrono::system_clock::time_point(std::chrono::microseconds(*micros));
  record.message.from = std::string(fields[3]);
  record.message.to = std::string(fields[4]);
  record.message.text = std::string(fields[9]);
  record.audience = Audience{*audience_from, *audience_to};
  record.participant = *participant;
  if (moved) {
    record.message.kind = MessageKind::kNotice;
    record.moved_to = std::string(fields[8]);
  } else {
    record.old_name = std::string(fields[8]);
  }
  return record;
}

}  // namespace chat
