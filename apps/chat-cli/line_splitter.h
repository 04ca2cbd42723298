// Lines out of a byte stream that arrives in pieces (chat-cli's stdin when it is not a terminal).
#ifndef CHAT_CLI_LINE_SPLITTER_H_
#define CHAT_CLI_LINE_SPLITTER_H_

#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace chat::cli {

// Lines end with "\n" or "\r\n"; neither is part of the line. Not thread-safe.
class LineSplitter {
 public:
  // Adds bytes read from the stream.
  void Append(std::string_view bytes);
  // The stream has ended: what follows the last newline, if anything, is a line too.
  void Finish();
  // The next complete line, oldest first.
  std::optional<std::string> TakeLine();
  // True when TakeLine() has a line to give.
  bool has_line() const { return !lines_.empty(); }

 private:
  std::string partial_;
  std::deque<std::string> lines_;
};

}  // namespace chat::cli

#endif  // CHAT_CLI_LINE_SPLITTER_H_
