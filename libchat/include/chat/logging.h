// libchat logs through spdlog's default logger: joins, leaves, renames, evictions and errors at
// info, every message at debug. Configure it with spdlog before starting a Server.
#ifndef CHAT_LOGGING_H_
#define CHAT_LOGGING_H_

namespace chat {

// Sends the log lines of gRPC and protobuf (which otherwise go to stderr in their own formats) to
// spdlog's default logger at debug level. Process-wide; programs call it once at start. Embedders
// that configure gRPC or protobuf logging themselves should not.
void RouteGrpcLogsToSpdlog();

}  // namespace chat

#endif  // CHAT_LOGGING_H_
