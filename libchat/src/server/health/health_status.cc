#include "server/health/health_status.h"

#include <algorithm>

#include "chat.grpc.pb.h"

namespace chat {
namespace {

ServingStatus StatusOf(bool serving) {
  return serving ? grpc::health::v1::HealthCheckResponse::SERVING : grpc::health::v1::HealthCheckResponse::NOT_SERVING;
}

}  // namespace

ServingStatus HealthStatus::Of(std::string_view service) const {
  if (!service.empty() && service != Chat::service_full_name()) return grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN;
  std::lock_guard<std::mutex> lock(mu_);
  return StatusOf(serving_);
}

void HealthStatus::SetServing(bool serving) {
  std::lock_guard<std::mutex> lock(mu_);
  if (serving_ == serving) return;
  serving_ = serving;
  for (Watcher* watcher : watchers_) watcher->StatusChanged(StatusOf(serving));
}

bool HealthStatus::Watch(Watcher* watcher) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  watchers_.push_back(watcher);
  watcher->StatusChanged(StatusOf(serving_));
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
