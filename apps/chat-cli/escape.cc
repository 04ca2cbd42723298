#include "escape.h"

#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include "chat/utf8.h"

namespace chat::cli {
namespace {

bool IsBidiControl(char32_t c) {
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

std::string EscapeForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::optional<Utf8Character> decoded = DecodeUtf8(text);
    if (!decoded) {
      out += fmt::format("\\x{:02x}", static_cast<std::uint8_t>(text.front()));
      text.remove_prefix(1);
      continue;
    }
    const char32_t c = decoded->code_point;
    if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", static_cast<std::uint32_t>(c));
    } else if ((c >= 0x80 && c <= 0x9F) || IsBidiControl(c)) {
      out += fmt::format("\\u{:04x}", static_cast<std::uint32_t>(c));
    } else {
      out.append(text.substr(0, decoded->length));
    }
    text.remove_prefix(decoded->length);
  }
  return out;
}

}  // namespace chat::cli
