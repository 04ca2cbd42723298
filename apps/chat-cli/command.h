// What a line typed into chat-cli asks for.
#ifndef CHAT_CLI_COMMAND_H_
#define CHAT_CLI_COMMAND_H_

#include <string>
#include <string_view>
#include <vector>

namespace chat::cli {

enum class CommandKind {
  kNothing,  // a blank line: nothing is sent and nothing is said
  kSay,      // send `argument` to the server as it is (a text starting with '@' is direct)
  kWho,      // list the users
  kNick,     // take the name `argument`
  kHelp,     // show the commands
  kQuit,     // leave
  kUnknown,  // `argument` is the unknown command word, "/frob"
  kUsage,    // a known command used wrongly; `argument` is its usage line
};

struct Command {
  CommandKind kind = CommandKind::kNothing;
  std::string argument;

  friend bool operator==(const Command& a, const Command& b) {
    return a.kind == b.kind && a.argument == b.argument;
  }
};

// Parses one line of input:
//   text            kSay "text" (sent as typed; the server trims it)
//   //text          kSay "/text": a doubled slash sends a line starting with '/'
//   /msg NAME text  kSay "@NAME text" (a leading '@' on NAME is allowed)
//   /who  /help  /quit  (words after them are ignored)
//   /nick NAME
// Command words are matched ignoring case. Pure and thread-safe.
Command ParseCommand(std::string_view line);

// One line per command, "/msg NAME text  send text to NAME only", for /help.
std::vector<std::string> HelpLines();

}  // namespace chat::cli

#endif  // CHAT_CLI_COMMAND_H_
