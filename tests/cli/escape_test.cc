// EscapeForTerminal: nothing a terminal acts on gets through raw.
#include <catch2/catch.hpp>

#include "escape.h"

namespace chat::cli {
namespace {

TEST_CASE("plain text, UTF-8 and backslashes are shown as they are", "[escape]") {
  CHECK(EscapeForTerminal("hi, this is alice") == "hi, this is alice");
  CHECK(EscapeForTerminal("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(EscapeForTerminal("C:\\temp") == "C:\\temp");
  CHECK(EscapeForTerminal("").empty());
}

TEST_CASE("ESC and the sequences it starts are shown escaped", "[escape]") {
  CHECK(EscapeForTerminal("\x1b[2J") == "\\x1b[2J");
  CHECK(EscapeForTerminal("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07");
}

TEST_CASE("every C0 control and DEL is shown as \\xNN, tab as \\t", "[escape]") {
  CHECK(EscapeForTerminal(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(EscapeForTerminal("\r\n\b\x07\x7f") == "\\x0d\\x0a\\x08\\x07\\x7f");
  CHECK(EscapeForTerminal("a\tb") == "a\\tb");
  for (int c = 0; c < 0x20; ++c) {
    const std::string escaped = EscapeForTerminal(std::string(1, static_cast<char>(c)));
    INFO(c);
    CHECK(escaped.front() == '\\');
  }
}

TEST_CASE("C1 controls, which some terminals obey like ESC, are shown as \\uNNNN", "[escape]") {
  CHECK(EscapeForTerminal("\xc2\x9b" "2J") == "\\u009b2J");
  CHECK(EscapeForTerminal("\xc2\x80\xc2\x9f") == "\\u0080\\u009f");
  CHECK(EscapeForTerminal("\xc2\xa0") == "\xc2\xa0");  // U+00A0 is no control
}

TEST_CASE("bidirectional overrides, which reorder what follows them, are shown escaped", "[escape]") {
  CHECK(EscapeForTerminal("abc\xe2\x80\xae" "fed") == "abc\\u202efed");
  CHECK(EscapeForTerminal("\xe2\x81\xa6x\xe2\x81\xa9") == "\\u2066x\\u2069");
}

TEST_CASE("bytes that are not valid UTF-8 are shown as \\xNN", "[escape]") {
  CHECK(EscapeForTerminal("\x9b" "2J") == "\\x9b2J");                // a raw 8-bit CSI
  CHECK(EscapeForTerminal("\xc0\x9b") == "\\xc0\\x9b");              // overlong form of ESC's cousin
  CHECK(EscapeForTerminal("\xc0\x80") == "\\xc0\\x80");              // overlong NUL
  CHECK(EscapeForTerminal("\xed\xa0\x80") == "\\xed\\xa0\\x80");     // a surrogate
  CHECK(EscapeForTerminal("ab\xe2\x82") == "ab\\xe2\\x82");          // cut short
  CHECK(EscapeForTerminal("\xff") == "\\xff");
}

TEST_CASE("no escaped text contains a control byte", "[escape]") {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  const std::string escaped = EscapeForTerminal(every_byte + "\xc2\x85\xc2\x9b");
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const auto byte = static_cast<unsigned char>(escaped[i]);
    INFO(i);
    CHECK(byte >= 0x20);
    CHECK(byte != 0x7f);
    // A 0xC2 lead byte followed by 0x80..0x9F would be a C1 control.
    if (byte == 0xc2 && i + 1 < escaped.size()) CHECK(static_cast<unsigned char>(escaped[i + 1]) >= 0xa0);
  }
}

}  // namespace
}  // namespace chat::cli
