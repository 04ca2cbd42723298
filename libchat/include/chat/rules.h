// The rules for names, message texts and direct messages, shared by the server (which enforces
// them) and clients (which may check early and format messages). All functions are pure and
// thread-safe.
#ifndef CHAT_RULES_H_
#define CHAT_RULES_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "chat/status.h"

namespace chat {

inline constexpr std::size_t kMaxUsernameLength = 32;
inline constexpr std::size_t kDefaultMaxTextBytes = 4096;

// A username is 1 to kMaxUsernameLength ASCII letters, digits, '_', '-' and '.', starting with a
// letter or digit. Returns OK, or INVALID_ARGUMENT with a sentence saying which rule `name` breaks
// (never echoing the offending bytes, which may be control characters).
Status CheckUsername(std::string_view name);

// The form under which names are compared: "Alice" and "alice" are the same user.
std::string FoldUsername(std::string_view name);

// True when `a` and `b` name the same user.
bool SameUsername(std::string_view a, std::string_view b);

// `text` without leading and trailing spaces and tabs.
std::string_view TrimText(std::string_view text);

// A text may be sent when it is at most `max_bytes` long as given, not empty after trimming, valid
// UTF-8, and free of control characters (C0, DEL and C1) other than tab. Returns OK, or
// INVALID_ARGUMENT saying which rule `text` breaks.
Status CheckMessageText(std::string_view text, std::size_t max_bytes);

// A direct message, "@name text", split into its parts. Both views point into the parsed text.
struct Mention {
  std::string_view recipient;  // the name after '@'
  std::string_view body;       // the rest, trimmed; never empty
};

// True when `text` (trimmed) is addressed to one user: it starts with '@'.
bool IsDirectMessage(std::string_view text);

// Splits a trimmed text starting with '@' into recipient and body. INVALID_ARGUMENT when the name
// after '@' is missing or malformed, when it is not followed by a space, or when no text follows.
// Every text that starts with '@' is treated as direct, so a mistyped mention is refused rather
// than shown to the whole room.
Result<Mention> ParseMention(std::string_view text);

}  // namespace chat

#endif  // CHAT_RULES_H_
