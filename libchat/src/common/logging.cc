#include "chat/logging.h"

#include <string>

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>
#include <spdlog/spdlog.h>

namespace chat {
namespace {

// gRPC reports its internal troubles (a failed bind, a dropped connection) in lines meant for its
// developers. The server reports what matters to operators itself, so gRPC's lines stay at debug.
void LogThroughSpdlog(gpr_log_func_args* args) {
  spdlog::debug("grpc {}:{}: {}", args->file, args->line, args->message);
}

}  // namespace

// Protobuf complains on stderr about every request with a string that is not UTF-8; the server
// answers those with INVALID_ARGUMENT, and a stranger must not be able to fill the log with them.
void LogProtobufThroughSpdlog(google::protobuf::LogLevel /*level*/, const char* file, int line,
                              const std::string& message) {
  spdlog::debug("protobuf {}:{}: {}", file, line, message);
}

void RouteGrpcLogsToSpdlog() {
  gpr_set_log_function(&LogThroughSpdlog);
  google::protobuf::SetLogHandler(&LogProtobufThroughSpdlog);
}

}  // namespace chat
