#ifndef CHAT_SRC_SERVER_CALLS_HEALTH_CHECK_CALL_H_
#define CHAT_SRC_SERVER_CALLS_HEALTH_CHECK_CALL_H_

#include "server/unary_call.h"

namespace chat {

// grpc.health.v1.Health/Check: SERVING or NOT_SERVING for "" and "chat.Chat"; NOT_FOUND for any
// other service name, as the health-checking protocol says.
class HealthCheckCall final
    : public UnaryCall<HealthCheckCall, grpc::health::v1::HealthCheckRequest, grpc::health::v1::HealthCheckResponse,
                       &HealthService::RequestCheck, Rpc::kHealthCheck> {
 private:
  friend UnaryCall;
  using UnaryCall::UnaryCall;

  grpc::Status Respond();
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_HEALTH_CHECK_CALL_H_
