#include "server/calls/health_check_call.h"

namespace chat {

grpc::Status HealthCheckCall::Respond() {
  const ServingStatus status = env_.health_status->Of(request_.service());
  if (status == grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such service here");
  }
  response_.set_status(status);
  return grpc::Status::OK;
}

}  // namespace chat
