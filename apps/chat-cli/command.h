// What a line typed into chat-cli asks for.
#ifndef CHAT_CLI_COMMAND_H_
#define CHAT_CLI_COMMAND_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chat::cli {

enum class CommandKind {
  kNothing,  // a blank line: nothing is sent and nothing is said
  kSay,      // send `argument` to the server as it is (a text starting with '@' is direct)
  kWho,      // list the users
  kNick,     // take the name `argument`
  kHistory,  // show `count` messages older than any shown so far
  kHelp,     // show the commands
  kQuit,     // leave
  kUnknown,  // `argument` is the unknown command word, "/frob"
  kUsage,    // a known command used wrongly; `argument` is its usage line
};

// How many messages /history shows without a number, and at most (the server's limit).
inline constexpr std::uint32_t kDefaultHistoryCount = 20;
inline constexpr std::uint32_t kMaxHistoryCount = 500;

struct Command {
  CommandKind kind = CommandKind::kNothing;
  std::string argument;
  std::uint32_t count = 0;  // kHistory

  friend bool operator==(const Command& a, const Command& b) {
    return a.kind == b.kind && a.argument == b.argument && a.count == b.count;
  }
};

// Parses one line of input:
//   text            kSay "text" (sent as typed; the server trims it)
//   //text          kSay "/text": a doubled slash sends a line starting with '/'
//   /msg NAME text  kSay "@NAME text" (a leading '@' on NAME is allowed)
//   /who  /help  /quit  (words after them are ignored)
//   /nick NAME
//   /history [N]    kHistory with count N (1 to kMaxHistoryCount; kDefaultHistoryCount without it)
// Command words are matched ignoring case. Pure and thread-safe.
Command ParseCommand(std::string_view line);

// One line per command, "/msg NAME text  send text to NAME only", for /help.
std::vector<std::string> HelpLines();

}  // namespace chat::cli

#endif  // CHAT_CLI_COMMAND_H_
