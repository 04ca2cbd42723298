// Session tokens: the secret a client shows (metadata "chat-session") to act as its session.
//
// A token is 64 hex digits: a 128-bit key, by which the room finds the session, and a 128-bit
// secret, which it then compares in constant time. Both come from the kernel's CSPRNG
// (getrandom(2)), so a token says nothing of the session, its name or its time, and knowing the
// key alone (were lookup times to leak it) gets nobody in.
#ifndef CHAT_SRC_ROOM_SESSION_TOKEN_H_
#define CHAT_SRC_ROOM_SESSION_TOKEN_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

struct SessionToken {
  std::string key;                      // 32 hex digits
  std::array<std::uint8_t, 16> secret;  // raw bytes
  std::string text;                     // the whole token, as the client receives it
};

// A new token from getrandom(2). Aborts if the kernel cannot give randomness: a guessable token
// would be worse than no server.
SessionToken NewSessionToken();

// The token `text` split into key and secret; nullopt when it is not 64 hex digits.
std::optional<SessionToken> ParseSessionToken(std::string_view text);

// Compares two secrets in time that does not depend on where they differ.
bool SameSecret(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b);

}  // namespace chat

#endif  // CHAT_SRC_ROOM_SESSION_TOKEN_H_
