#include "command.h"

#include <charconv>
#include <system_error>

#include "chat/rules.h"

namespace chat::cli {
namespace {

constexpr std::string_view kMsgUsage = "usage: /msg NAME text";
constexpr std::string_view kNickUsage = "usage: /nick NAME";
constexpr std::string_view kHistoryUsage = "usage: /history [N], N from 1 to 500";

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Splits off the first word of `text` (after leading spaces); `text` keeps the rest.
std::string_view TakeWord(std::string_view& text) {
  text = TrimText(text);
  std::size_t end = 0;
  while (end < text.size() && !IsSpace(text[end])) ++end;
  const std::string_view word = text.substr(0, end);
  text.remove_prefix(end);
  return word;
}

// Command words ignore ASCII case, the way names do.
bool IsCommand(std::string_view word, std::string_view name) { return SameUsername(word, name); }

Command DirectMessage(std::string_view arguments) {
  std::string_view name = TakeWord(arguments);
  if (!name.empty() && name.front() == '@') name.remove_prefix(1);
  const std::string_view text = TrimText(arguments);
  if (name.empty() || text.empty()) return {CommandKind::kUsage, std::string(kMsgUsage)};
  return {CommandKind::kSay, "@" + std::string(name) + " " + std::string(text)};
}

Command Nick(std::string_view arguments) {
  const std::string_view name = TakeWord(arguments);
  if (name.empty() || !TrimText(arguments).empty()) return {CommandKind::kUsage, std::string(kNickUsage)};
  return {CommandKind::kNick, std::string(name)};
}

Command History(std::string_view arguments) {
  const std::string_view number = TakeWord(arguments);
  const Command usage{CommandKind::kUsage, std::string(kHistoryUsage)};
  if (!TrimText(arguments).empty()) return usage;
  if (number.empty()) return {CommandKind::kHistory, "", kDefaultHistoryCount};
  std::uint32_t count = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), count);
  if (error != std::errc() || end != number.data() + number.size() || count == 0 || count > kMaxHistoryCount) {
    return usage;
  }
  return {CommandKind::kHistory, "", count};
}

}  // namespace

Command ParseCommand(std::string_view line) {
  if (TrimText(line).empty()) return {};
  if (line.front() != '/') return {CommandKind::kSay, std::string(line)};
  if (line.size() > 1 && line[1] == '/') return {CommandKind::kSay, std::string(line.substr(1))};

  std::string_view arguments = line;
  const std::string_view word = TakeWord(arguments);
  if (IsCommand(word, "/msg")) return DirectMessage(arguments);
  if (IsCommand(word, "/nick")) return Nick(arguments);
  if (IsCommand(word, "/history")) return History(arguments);
  if (IsCommand(word, "/who")) return {CommandKind::kWho, ""};
  if (IsCommand(word, "/help")) return {CommandKind::kHelp, ""};
  if (IsCommand(word, "/quit")) return {CommandKind::kQuit, ""};
  return {CommandKind::kUnknown, std::string(word)};
}

std::vector<std::string> HelpLines() {
  return {
      "/who            list the users",
      "/msg NAME text  send text to NAME only (or type @NAME text)",
      "/nick NAME      change your name",
      "/history [N]    show N earlier messages (20 unless said; at most 500)",
      "/help           show these commands",
      "/quit           leave, freeing your name at once (so do Ctrl-D and Ctrl-C)",
      "//text          send a line that starts with /",
  };
}

}  // namespace chat::cli
