// Reading UTF-8 one character at a time, strictly.
#ifndef CHAT_UTF8_H_
#define CHAT_UTF8_H_

#include <cstddef>
#include <optional>
#include <string_view>

namespace chat {

struct Utf8Character {
  char32_t code_point;
  std::size_t length;  // in bytes, 1 to 4
};

// The character at the start of `text` (not empty). nullopt unless it is the shortest encoding of
// a Unicode scalar value: overlong forms, surrogates, values above U+10FFFF and sequences cut
// short are refused, since an overlong form could smuggle a control character past a check that
// looks at code points.
std::optional<Utf8Character> DecodeUtf8(std::string_view text);

}  // namespace chat

#endif  // CHAT_UTF8_H_
