// libchat logs through spdlog's default logger: joins, leaves, renames, evictions and errors at
// info, every message at debug. Configure it with spdlog before starting a Server.
#ifndef CHAT_LOGGING_H_
#define CHAT_LOGGING_H_

namespace chat {

// Sends gRPC's own log lines (which otherwise go to stderr in gRPC's format) to spdlog's default
// logger at debug level. Process-wide; programs call it once at start. Embedders that configure
// gRPC logging themselves should not.
void RouteGrpcLogsToSpdlog();

}  // namespace chat

#endif  // CHAT_LOGGING_H_
