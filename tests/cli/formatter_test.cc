// Formatter: how each kind of line looks, with and without colors and times.
#include <catch2/catch.hpp>

#include <set>

#include "formatter.h"

namespace chat::cli {
namespace {

ChatMessage Entry(MessageKind kind, std::string from, std::string text, std::string to = "") {
  ChatMessage message;
  message.id = 7;
  message.kind = kind;
  message.from = std::move(from);
  message.to = std::move(to);
  message.text = std::move(text);
  message.server_time = std::chrono::system_clock::now();
  return message;
}

const Formatter kPlain(FormatOptions{});

TEST_CASE("a room message is shown as name: text", "[formatter]") {
  CHECK(kPlain.Message(Entry(MessageKind::kChat, "alice", "hi, this is alice")) == "alice: hi, this is alice");
}

TEST_CASE("a direct message shows sender -> recipient and the text without its @name", "[formatter]") {
  CHECK(kPlain.Message(Entry(MessageKind::kDirect, "alice", "@bob psst", "bob")) == "alice -> bob: psst");
  CHECK(kPlain.Message(Entry(MessageKind::kDirect, "alice", "@Bob   psst twice", "bob")) ==
        "alice -> bob: psst twice");
}

TEST_CASE("a malformed direct message from a strange server is still shown whole", "[formatter]") {
  CHECK(kPlain.Message(Entry(MessageKind::kDirect, "alice", "no mention", "bob")) == "alice -> bob: no mention");
  CHECK(kPlain.Message(Entry(MessageKind::kDirect, "alice", "@bob hi", "")) == "alice -> bob: hi");
}

TEST_CASE("joins, leaves and notices are shown as * sentence", "[formatter]") {
  CHECK(kPlain.Message(Entry(MessageKind::kJoin, "bob", "bob joined")) == "* bob joined");
  CHECK(kPlain.Message(Entry(MessageKind::kLeave, "bob", "bob left (too slow)")) == "* bob left (too slow)");
  CHECK(kPlain.Message(Entry(MessageKind::kNotice, "alicia", "alice is now known as alicia")) ==
        "* alice is now known as alicia");
  CHECK(kPlain.Notice("3 users: a, b, c") == "* 3 users: a, b, c");
  CHECK(kPlain.Error("no such user: bob") == "! no such user: bob");
}

TEST_CASE("a gap in a resumed stream is shown as a notice", "[formatter]") {
  CHECK(kPlain.Message(Entry(MessageKind::kGap, "", "the server restarted since #12: what was said before the "
                                                     "restart is lost")) ==
        "* the server restarted since #12: what was said before the restart is lost");
}

TEST_CASE("a separator sets a run of messages apart, dim with colors", "[formatter]") {
  CHECK(kPlain.Separator("20 earlier messages") == "--- 20 earlier messages ---");
  const Formatter colored(FormatOptions{.color = true});
  CHECK(colored.Separator("live") == "\x1b[2m--- live ---\x1b[0m");
  CHECK(kPlain.Separator("a\x1b") == "--- a\\x1b ---");
}

TEST_CASE("control characters in names and texts are shown escaped", "[formatter]") {
  CHECK(kPlain.Message(Entry(MessageKind::kChat, "ev\x1b[2Jil", "ring\x07\r\x1b]0;pwned\x07")) ==
        "ev\\x1b[2Jil: ring\\x07\\x0d\\x1b]0;pwned\\x07");
  CHECK(kPlain.Message(Entry(MessageKind::kDirect, "a\x08", "@bob \xc2\x9bx", "b\x1b")) == "a\\x08 -> b\\x1b: \\u009bx");
  CHECK(kPlain.Message(Entry(MessageKind::kNotice, "", "bob\x1b[31m joined")) == "* bob\\x1b[31m joined");
  CHECK(kPlain.Error("bad\x1b[2J") == "! bad\\x1b[2J");
}

TEST_CASE("with colors, a name is painted in its own color and the text is not", "[formatter]") {
  const Formatter colored(FormatOptions{.color = true, .color_errors = true, .show_time = false});
  const std::string line = colored.Message(Entry(MessageKind::kChat, "alice", "hi"));
  CHECK(line == "\x1b[" + std::string(Formatter::ColorOf("alice")) + "malice\x1b[0m: hi");
  CHECK_THAT(colored.Error("oops"), Catch::StartsWith("\x1b[1;31m! oops"));
  const Formatter errors_to_a_file(FormatOptions{.color = true, .color_errors = false});
  CHECK(errors_to_a_file.Error("oops") == "! oops");
}

TEST_CASE("a name has one color whatever its case, and names get different colors", "[formatter]") {
  CHECK(Formatter::ColorOf("Alice") == Formatter::ColorOf("alice"));
  std::set<std::string_view> colors;
  for (const char* name : {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}) {
    colors.insert(Formatter::ColorOf(name));
  }
  CHECK(colors.size() >= 4);
  CHECK(colors.count("31") == 0);
}

TEST_CASE("with times, every room line starts with the server time", "[formatter]") {
  const Formatter timed(FormatOptions{.color = false, .show_time = true});
  const std::string line = timed.Message(Entry(MessageKind::kChat, "alice", "hi"));
  CHECK_THAT(line, Catch::Matches(R"(\[\d\d:\d\d:\d\d\] alice: hi)"));
  CHECK_THAT(timed.Message(Entry(MessageKind::kJoin, "bob", "bob joined")),
             Catch::Matches(R"(\[\d\d:\d\d:\d\d\] \* bob joined)"));
}

}  // namespace
}  // namespace chat::cli
