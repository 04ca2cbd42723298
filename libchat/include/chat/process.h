// Process settings a chat program needs.
#ifndef CHAT_PROCESS_H_
#define CHAT_PROCESS_H_

#include <cstdint>
#include <string>

#include "chat/status.h"

namespace chat {

// Raises this process's soft limit on open files to its hard limit: a server holds one file per
// connection, and the usual soft limit of 1024 would cap it near a thousand users. Returns the
// limit now in force.
std::uint64_t RaiseOpenFileLimit();

// Turns off abseil's mutex deadlock detection, a debugging aid that Debian's abseil leaves on and
// gRPC's own builds do not: it records every lock gRPC takes while holding another (about 2% of a
// busy server's CPU; docs/benchmarks.md). Process-wide; call it before starting a Server.
void DisableMutexDeadlockDetection();

// The whole of the file at `path` (a TLS certificate or key, say). NOT_FOUND or PERMISSION_DENIED
// with a sentence naming the file when it cannot be read.
Result<std::string> ReadFileContents(const std::string& path);

}  // namespace chat

#endif  // CHAT_PROCESS_H_
