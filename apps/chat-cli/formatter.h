// How chat-cli shows each kind of line. Every piece of text it is given is escaped for the
// terminal (escape.h), whether it came from the network or not.
#ifndef CHAT_CLI_FORMATTER_H_
#define CHAT_CLI_FORMATTER_H_

#include <string>
#include <string_view>

#include "chat/message.h"

namespace chat::cli {

struct FormatOptions {
  // ANSI colors: one per username, dim notices.
  bool color = false;
  // Errors in red. Separate from `color` because errors may go to stderr, which may be a file
  // while stdout is a terminal.
  bool color_errors = false;
  // "[HH:MM:SS] " in local time before each message from the room, from its server time.
  bool show_time = false;
};

// Turns messages and local notes into single lines, without the trailing newline.
// Pure (apart from reading the local time zone) and thread-safe.
//
//   alice: hi                  kChat
//   alice -> bob: psst         kDirect, whose text was "@bob psst"
//   * bob joined               kJoin, kLeave, kNotice, kGap, and Notice()
//   ! no such user: carol      Error()
//   --- live ---               Separator(): sets a run of messages apart (history, catching up)
class Formatter {
 public:
  explicit Formatter(FormatOptions options) : options_(options) {}

  std::string Message(const ChatMessage& message) const;
  std::string Notice(std::string_view text) const;
  std::string Error(std::string_view text) const;
  std::string Separator(std::string_view text) const;

  // The ANSI color code ("32", "1;34", ...) of `name`, the same for every spelling of it
  // ("Alice" and "alice" are one user). Never the red used for errors.
  static std::string_view ColorOf(std::string_view name);

 private:
  std::string Name(std::string_view name) const;
  // `text` in color `code` when colors are on.
  std::string Paint(std::string_view code, std::string_view text) const;
  static std::string Painted(std::string_view code, std::string_view text);
  std::string TimePrefix(const ChatMessage& message) const;

  const FormatOptions options_;
};

}  // namespace chat::cli

#endif  // CHAT_CLI_FORMATTER_H_
