// Text from the network made safe to write to a terminal.
#ifndef CHAT_CLI_ESCAPE_H_
#define CHAT_CLI_ESCAPE_H_

#include <string>
#include <string_view>

namespace chat::cli {

// `text` with everything a terminal could act on replaced by a visible escape, so that no byte
// sequence received from anyone reaches the terminal raw:
//   - C0 controls and DEL as \xNN (ESC is \x1b, CR \x0d, LF \x0a), tab as \t;
//   - C1 controls U+0080..U+009F, which some terminals obey like ESC sequences, as \uNNNN;
//   - bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A..U+202E,
//     U+2066..U+2069), which reorder what is shown after them, as \uNNNN;
//   - every byte that is not part of valid UTF-8 as \xNN.
// Everything else, backslashes included, is kept as it is. Pure and thread-safe.
std::string EscapeForTerminal(std::string_view text);

}  // namespace chat::cli

#endif  // CHAT_CLI_ESCAPE_H_
