#include "server/calls/health_watch_call.h"

#include <string>
#include <utility>

#include "common/shutdown.h"
#include "wire/wire.h"

namespace chat {

void HealthWatchCall::Spawn(const CallEnvironment& env) {
  auto* call = new HealthWatchCall(env);
  call->context_.AsyncNotifyWhenDone(call->on_done_.tag());
  env.health->RequestWatch(&call->context_, &call->request_bytes_, &call->writer_, env.queue, env.queue,
                           call->on_request_.tag());
}

void HealthWatchCall::OnRequest(bool ok) {
  if (!ok) {  // no call arrived, so no done notification will either
    delete this;
    return;
  }
  Spawn(env_);
  grpc::health::v1::HealthCheckRequest request;
  const grpc::Status parsed = ParseRequest(&request_bytes_, &request);
  const std::string& service = request.service();
  known_service_ = env_.health_status->Of(service) != grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN;
  // Before Watch(), nobody else sees this call yet. An unknown service stays so: StatusChanged
  // leaves it alone.
  if (!known_service_) latest_ = grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN;

  // Registered outside mu_: HealthStatus tells the current status (StatusChanged) with its own lock
  // held, and its lock comes first.
  const bool watching = parsed.ok() && env_.health_status->Watch(this);
  std::lock_guard<std::mutex> lock(mu_);
  outstanding_ = 1;  // the request is back; the done notification is now outstanding
  if (!parsed.ok()) return FinishLocked(parsed);
  if (!watching) return FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDownMessage));
  watching_ = !closing_;  // a Close() since Watch() returned has let go already
  state_ = State::kWatching;
  WriteLatestLocked();  // the write's return finishes the call if closing_
}

void HealthWatchCall::StatusChanged(ServingStatus status) {
  if (!known_service_) return;  // it stays SERVICE_UNKNOWN
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = status;
  if (state_ == State::kWatching) WriteLatestLocked();
}

void HealthWatchCall::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  watching_ = false;  // HealthStatus has let go
  closing_ = true;
  if (state_ == State::kWatching && !write_in_flight_) {
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDownMessage));
  }
}

void HealthWatchCall::OnWriteDone(bool ok) {
  std::unique_lock<std::mutex> lock(mu_);
  write_in_flight_ = false;
  if (!ok) {
    state_ = State::kFinishing;  // the client is gone; the done notification follows
  } else if (state_ == State::kWatching) {
    WriteLatestLocked();
    if (!write_in_flight_ && closing_) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDownMessage));
    }
  }
  EndOperation(std::move(lock));
}

void HealthWatchCall::OnFinishDone(bool /*ok*/) {
  std::unique_lock<std::mutex> lock(mu_);
  EndOperation(std::move(lock));
}

void HealthWatchCall::OnDone(bool /*ok*/) {
  bool unwatch = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    unwatch = std::exchange(watching_, false);
    if (state_ == State::kWatching) state_ = State::kFinishing;
  }
  // Still counted in outstanding_, so alive while HealthStatus lets go of it.
  if (unwatch) env_.health_status->Unwatch(this);
  std::unique_lock<std::mutex> lock(mu_);
  EndOperation(std::move(lock));
}

void HealthWatchCall::WriteLatestLocked() {
  if (write_in_flight_ || sent_ == latest_) return;
  grpc::health::v1::HealthCheckResponse response;
  response.set_status(latest_);
  sent_ = latest_;
  write_in_flight_ = true;
  ++outstanding_;
  writer_.Write(Serialize(response), on_write_done_.tag());
}

void HealthWatchCall::FinishLocked(const grpc::Status& status) {
  state_ = State::kFinishing;
  ++outstanding_;
  writer_.Finish(status, on_finish_done_.tag());
}

void HealthWatchCall::EndOperation(std::unique_lock<std::mutex> lock) {
  if (--outstanding_ > 0) return;
  lock.unlock();
  delete this;
}

}  // namespace chat
