// One readable line for every way a call to the server can fail.
#ifndef CHAT_CLI_ERROR_TEXT_H_
#define CHAT_CLI_ERROR_TEXT_H_

#include <string>
#include <string_view>

#include "chat/status.h"

namespace chat::cli {

// What went wrong with a call to the server at `address`, for people, on one line.
//
// Refusals by the chat server (INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, ...) carry a
// sentence written for people, which is returned as it is: "no such user: bob",
// "message too long (max 4096 bytes)", "sending too fast ...". Codes that come from the transport
// (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ...) carry gRPC's own diagnostics instead, which are
// replaced by a fixed sentence such as "cannot reach server at HOST:PORT".
//
// The result may still hold control characters sent by the server; the Formatter escapes it.
std::string DescribeError(const Status& status, std::string_view address);

// Why a Listen stream that ended by itself is gone, for "lost the connection to ...":
// "lost the connection to HOST:PORT" or, when the server said why, with its reason after it.
std::string DescribeLostConnection(const Status& reason, std::string_view address);

}  // namespace chat::cli

#endif  // CHAT_CLI_ERROR_TEXT_H_
