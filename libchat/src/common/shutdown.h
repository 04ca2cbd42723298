// What a call is told once the server is shutting down.
#ifndef CHAT_SRC_COMMON_SHUTDOWN_H_
#define CHAT_SRC_COMMON_SHUTDOWN_H_

namespace chat {

// The message of the UNAVAILABLE status that every call gets from the moment shutdown begins,
// whichever part refuses it: the room (chat calls, and the Listen streams it closes) or the health
// service (Watch streams). docs/protocol.md quotes it.
inline constexpr char kShuttingDownMessage[] = "the server is shutting down";

}  // namespace chat

#endif  // CHAT_SRC_COMMON_SHUTDOWN_H_
