#include "chat/rules.h"

#include <string>

#include <catch2/catch.hpp>

namespace chat {
namespace {

TEST_CASE("a username is 1 to 32 letters, digits, '_', '-' or '.', starting with a letter or digit", "[rules]") {
  for (const char* valid : {"a", "alice", "Bob_2", "x-y.z", "9lives", "abcdefghijklmnopqrstuvwxyz012345"}) {
    INFO(valid);
    CHECK(CheckUsername(valid).ok());
  }
  for (const char* invalid : {"", "_alice", "-bob", ".x", "@bob", "/nick", "al ice", "bob!", "b\x1b[31m",
                              "caf\xc3\xa9", "abcdefghijklmnopqrstuvwxyz0123456"}) {
    INFO(invalid);
    const Status status = CheckUsername(invalid);
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK_FALSE(status.message().empty());
  }
}

TEST_CASE("a name problem never echoes the offending bytes", "[rules]") {
  CHECK(CheckUsername("bo\x1b[2Jb").message().find('\x1b') == std::string::npos);
}

TEST_CASE("names compare ignoring ASCII case", "[rules]") {
  CHECK(SameUsername("Alice", "aLICE"));
  CHECK_FALSE(SameUsername("alice", "alicia"));
  CHECK(FoldUsername("MiXeD.Case-1") == "mixed.case-1");
}

TEST_CASE("a message text is checked for length, emptiness, UTF-8 and control characters", "[rules]") {
  const std::size_t limit = 10;
  CHECK(CheckMessageText("hello", limit).ok());
  CHECK(CheckMessageText("tab\there", limit).ok());
  CHECK(CheckMessageText(std::string(10, 'x'), limit).ok());
  CHECK(CheckMessageText("caf\xc3\xa9", limit).ok());

  const auto refused = [&](const std::string& text) { return CheckMessageText(text, limit).message(); };
  CHECK(refused(std::string(11, 'x')) == "message too long (max 10 bytes)");
  CHECK(refused("") == "message is empty");
  CHECK(refused(" \t ") == "message is empty");
  CHECK(refused("a\nb").find("control character (U+000A)") != std::string::npos);
  CHECK(refused("a\x1b[2J").find("U+001B") != std::string::npos);
  CHECK(refused(std::string("a\0b", 3)).find("U+0000") != std::string::npos);
  CHECK(refused("a\x7f").find("U+007F") != std::string::npos);
  CHECK(refused("a\xc2\x9b").find("U+009B") != std::string::npos);  // C1 CSI: an escape on some terminals
  CHECK(refused("a\xff") == "message is not valid UTF-8");
  CHECK(refused("\xc0\xaf") == "message is not valid UTF-8");      // overlong '/'
  CHECK(refused("\xed\xa0\x80") == "message is not valid UTF-8");  // a surrogate
  CHECK(refused("ab\xe2\x82") == "message is not valid UTF-8");    // cut short
}

TEST_CASE("trimming removes only spaces and tabs at both ends", "[rules]") {
  CHECK(TrimText("  \thi there \t") == "hi there");
  CHECK(TrimText("\nhi") == "\nhi");
}

TEST_CASE("@name text splits into recipient and body", "[rules]") {
  const Result<Mention> mention = ParseMention("@bob   psst, over here ");
  REQUIRE(mention.ok());
  CHECK(mention->recipient == "bob");
  CHECK(mention->body == "psst, over here");
}

TEST_CASE("a malformed mention is refused, never taken for a room message", "[rules]") {
  CHECK(ParseMention("@").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseMention("@ bob hi").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseMention("@bob,hi").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseMention("@_bob hi").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseMention("@bob").status().message() == "@bob needs a message after the name");
  CHECK(ParseMention("@bob \t ").status().message() == "@bob needs a message after the name");
  CHECK(IsDirectMessage("@anything"));
  CHECK_FALSE(IsDirectMessage("hi @bob"));
}

}  // namespace
}  // namespace chat
