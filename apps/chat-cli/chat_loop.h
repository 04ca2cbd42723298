// chat-cli's main loop, in its two modes: on a terminal with readline, or scripted through pipes.
#ifndef CHAT_CLI_CHAT_LOOP_H_
#define CHAT_CLI_CHAT_LOOP_H_

#include <optional>
#include <string>

#include "formatter.h"
#include "session.h"

namespace chat::cli {

struct ChatOptions {
  SessionOptions session;
  FormatOptions format;
  // --user: the first name to try. Without it, the name is asked for.
  std::optional<std::string> user;
  // readline, prompts and in-place redrawing; otherwise lines are read from stdin as they come
  // and every output line goes out whole (errors to stderr).
  bool interactive = false;
  // A refused --user is asked again (stdin is a terminal) rather than fatal.
  bool ask_again = false;
};

// Runs chat-cli until the person leaves, input ends, or something fatal happens; the session has
// been left (the name freed) when it returns. Returns the exit code: 0 after leaving or at the
// end of input, 1 when the server cannot be reached or no name could be had, 128 + N after
// signal N (except Ctrl-C on a terminal, which is a way to leave).
//
// While it runs it catches SIGINT, SIGTERM and SIGHUP, and in interactive mode SIGWINCH and
// SIGTSTP too (the terminal is given back around a stop). Uses the process's stdin, stdout and
// stderr; one call at a time.
int RunChat(const ChatOptions& options);

}  // namespace chat::cli

#endif  // CHAT_CLI_CHAT_LOOP_H_
