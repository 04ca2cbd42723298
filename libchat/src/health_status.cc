#include "health_status.h"

#include <algorithm>

#include "chat.grpc.pb.h"

namespace chat {

ServingStatus HealthStatus::Of(std::string_view service) const {
  if (!service.empty() && service != Chat::service_full_name()) return grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN;
  std::lock_guard<std::mutex> lock(mu_);
  return serving_ ? grpc::health::v1::HealthCheckResponse::SERVING : grpc::health::v1::HealthCheckResponse::NOT_SERVING;
}

void HealthStatus::SetServing(bool serving) {
  std::lock_guard<std::mutex> lock(mu_);
  if (serving_ == serving) return;
  serving_ = serving;
  const ServingStatus status =
      serving ? grpc::health::v1::HealthCheckResponse::SERVING : grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  for (Watcher* watcher : watchers_) watcher->StatusChanged(status);
}

bool HealthStatus::Watch(Watcher* watcher) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  watchers_.push_back(watcher);
  return true;
}

void HealthStatus::Unwatch(Watcher* watcher) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase(watchers_, watcher);
}

void HealthStatus::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (Watcher* watcher : watchers_) watcher->Close();
  watchers_.clear();
}

}  // namespace chat
