#include "chat/logging.h"

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

void RouteGrpcLogsToSpdlog() { gpr_set_log_function(&LogThroughSpdlog); }

}  // namespace chat
