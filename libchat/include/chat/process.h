// Process settings a chat program needs.
#ifndef CHAT_PROCESS_H_
#define CHAT_PROCESS_H_

#include <cstdint>

namespace chat {

// Raises this process's soft limit on open files to its hard limit: a server holds one file per
// connection, and the usual soft limit of 1024 would cap it near a thousand users. Returns the
// limit now in force.
std::uint64_t RaiseOpenFileLimit();

}  // namespace chat

#endif  // CHAT_PROCESS_H_
