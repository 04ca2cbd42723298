#include "chat/rules.h"

#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "chat/utf8.h"

namespace chat {
namespace {

bool IsAsciiLetterOrDigit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsUsernameCharacter(char c) { return IsAsciiLetterOrDigit(c) || c == '_' || c == '-' || c == '.'; }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

bool IsForbiddenControl(char32_t c) {
  if (c == '\t') return false;
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
}

}  // namespace

Status CheckUsername(std::string_view name) {
  if (name.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("a name needs 1 to {} letters, digits, '_', '-' or '.'", kMaxUsernameLength));
  }
  if (name.size() > kMaxUsernameLength) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("name too long ({} characters, at most {})", name.size(), kMaxUsernameLength));
  }
  if (!IsAsciiLetterOrDigit(name.front())) {
    return Status(StatusCode::kInvalidArgument, "a name must start with a letter or a digit");
  }
  for (char c : name) {
    if (!IsUsernameCharacter(c)) {
      return Status(StatusCode::kInvalidArgument,
                    "a name may contain only ASCII letters, digits, '_', '-' and '.'");
    }
  }
  return Status::Ok();
}

std::string FoldUsername(std::string_view name) {
  std::string folded(name);
  for (char& c : folded) c = AsciiLower(c);
  return folded;
}

bool SameUsername(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string_view TrimText(std::string_view text) {
  while (!text.empty() && IsSpaceOrTab(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpaceOrTab(text.back())) text.remove_suffix(1);
  return text;
}

Status CheckMessageText(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Status(StatusCode::kInvalidArgument, fmt::format("message too long (max {} bytes)", max_bytes));
  }
  if (TrimText(text).empty()) {
    return Status(StatusCode::kInvalidArgument, "message is empty");
  }
  for (std::string_view rest = text; !rest.empty();) {
    const std::optional<Utf8Character> c = DecodeUtf8(rest);
    if (!c) return Status(StatusCode::kInvalidArgument, "message is not valid UTF-8");
    if (IsForbiddenControl(c->code_point)) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("message contains a control character (U+{:04X}); only tab is allowed",
                                static_cast<std::uint32_t>(c->code_point)));
    }
    rest.remove_prefix(c->length);
  }
  return Status::Ok();
}

bool IsDirectMessage(std::string_view text) { return !text.empty() && text.front() == '@'; }

Result<Mention> ParseMention(std::string_view text) {
  static constexpr char kForm[] = "a direct message is @name followed by a space and the text";
  if (!IsDirectMessage(text)) return Status(StatusCode::kInvalidArgument, kForm);
  std::string_view rest = text.substr(1);
  std::size_t name_length = 0;
  while (name_length < rest.size() && IsUsernameCharacter(rest[name_length])) ++name_length;
  const std::string_view recipient = rest.substr(0, name_length);
  rest.remove_prefix(name_length);
  if (recipient.empty() || !CheckUsername(recipient).ok()) return Status(StatusCode::kInvalidArgument, kForm);
  if (!rest.empty() && !IsSpaceOrTab(rest.front())) return Status(StatusCode::kInvalidArgument, kForm);
  const std::string_view body = TrimText(rest);
  if (body.empty()) {
    return Status(StatusCode::kInvalidArgument, fmt::format("@{} needs a message after the name", recipient));
  }
  return Mention{recipient, body};
}

}  // namespace chat
