// LineSplitter: lines out of stdin read in arbitrary pieces.
#include <catch2/catch.hpp>

#include "line_splitter.h"

namespace chat::cli {
namespace {

std::vector<std::string> TakeAll(LineSplitter& splitter) {
  std::vector<std::string> lines;
  while (std::optional<std::string> line = splitter.TakeLine()) lines.push_back(*line);
  return lines;
}

TEST_CASE("lines come out whole however the bytes were cut", "[lines]") {
  LineSplitter splitter;
  splitter.Append("hel");
  CHECK_FALSE(splitter.has_line());
  splitter.Append("lo\nwor");
  splitter.Append("ld\n\nlast");
  CHECK(TakeAll(splitter) == std::vector<std::string>{"hello", "world", ""});
  splitter.Finish();
  CHECK(TakeAll(splitter) == std::vector<std::string>{"last"});
}

TEST_CASE("CRLF ends a line like LF", "[lines]") {
  LineSplitter splitter;
  splitter.Append("one\r\ntwo\r");
  splitter.Append("\n");
  CHECK(TakeAll(splitter) == std::vector<std::string>{"one", "two"});
}

TEST_CASE("input ending with a newline has no extra empty line", "[lines]") {
  LineSplitter splitter;
  splitter.Append("only\n");
  splitter.Finish();
  CHECK(TakeAll(splitter) == std::vector<std::string>{"only"});
}

}  // namespace
}  // namespace chat::cli
