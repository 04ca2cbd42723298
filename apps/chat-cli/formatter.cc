#include "formatter.h"

#include <array>
#include <ctime>
#include <cstdint>

#include <fmt/format.h>

#include "chat/rules.h"
#include "escape.h"

namespace chat::cli {
namespace {

// Readable on dark and light backgrounds; red is kept for errors.
constexpr std::array<std::string_view, 10> kNameColors = {"32", "33", "34", "35", "36",
                                                          "92", "93", "94", "95", "96"};
constexpr std::string_view kNoticeColor = "2";
constexpr std::string_view kErrorColor = "1;31";

}  // namespace

std::string_view Formatter::ColorOf(std::string_view name) {
  // FNV-1a rather than std::hash, so that a name keeps its color from one build to the next.
  std::uint32_t hash = 2166136261u;
  for (char c : FoldUsername(name)) {
    hash = (hash ^ static_cast<std::uint8_t>(c)) * 16777619u;
  }
  return kNameColors[hash % kNameColors.size()];
}

std::string Formatter::Message(const ChatMessage& message) const {
  const std::string time = TimePrefix(message);
  switch (message.kind) {
    case MessageKind::kChat:
      return fmt::format("{}{}: {}", time, Name(message.from), EscapeForTerminal(message.text));
    case MessageKind::kDirect: {
      // The text on the wire is "@bob psst"; the arrow already says who it is for.
      const Result<Mention> mention = ParseMention(TrimText(message.text));
      const std::string_view body = mention.ok() ? mention->body : std::string_view(message.text);
      const std::string_view to =
          !message.to.empty() ? std::string_view(message.to) : (mention.ok() ? mention->recipient : "?");
      return fmt::format("{}{} -> {}: {}", time, Name(message.from), Name(to), EscapeForTerminal(body));
    }
    case MessageKind::kJoin:
    case MessageKind::kLeave:
    case MessageKind::kNotice:
    case MessageKind::kGap:
      return time + Notice(message.text);
  }
  return time + Notice(message.text);
}

std::string Formatter::Notice(std::string_view text) const {
  return Paint(kNoticeColor, "* " + EscapeForTerminal(text));
}

std::string Formatter::Separator(std::string_view text) const {
  return Paint(kNoticeColor, "--- " + EscapeForTerminal(text) + " ---");
}

std::string Formatter::Error(std::string_view text) const {
  std::string line = "! " + EscapeForTerminal(text);
  if (!options_.color_errors) return line;
  return Painted(kErrorColor, line);
}

std::string Formatter::Name(std::string_view name) const {
  return Paint(ColorOf(name), EscapeForTerminal(name));
}

std::string Formatter::Paint(std::string_view code, std::string_view text) const {
  if (!options_.color) return std::string(text);
  return Painted(code, text);
}

std::string Formatter::Painted(std::string_view code, std::string_view text) {
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

std::string Formatter::TimePrefix(const ChatMessage& message) const {
  if (!options_.show_time) return "";
  if (message.server_time.time_since_epoch().count() == 0) return "[--:--:--] ";
  const std::time_t seconds = std::chrono::system_clock::to_time_t(message.server_time);
  std::tm local{};
  localtime_r(&seconds, &local);
  return Paint(kNoticeColor, fmt::format("[{:02}:{:02}:{:02}]", local.tm_hour, local.tm_min, local.tm_sec)) + " ";
}

}  // namespace chat::cli
