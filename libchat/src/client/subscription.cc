#include "client/subscription.h"

#include <utility>

#include "common/thread_annotations.h"
#include "wire/wire.h"

namespace chat {

Subscription::Impl::Impl(MessageHandler on_message, EndHandler on_end)
    : on_message_(std::move(on_message)), on_end_(std::move(on_end)) {}

Status Subscription::Impl::Start(Chat::Stub* stub, std::chrono::milliseconds timeout) {
  HandOff(this);
  stub->async()->Listen(&context_, &request_, this);
  StartRead(&incoming_);
  StartCall();

  std::unique_lock<std::mutex> lock(mu_);
  if (!phase_changed_.wait_for(lock, timeout, [this] { return phase_ != Phase::kStarting; })) {
    lock.unlock();
    Stop();
    return Status(StatusCode::kDeadlineExceeded, "the server did not accept the stream in time");
  }
  if (phase_ == Phase::kAccepted) return Status::Ok();
  if (end_status_.ok()) return Status(StatusCode::kUnknown, "the server ended the stream at once");
  return end_status_;
}

void Subscription::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (phase_ == Phase::kEnded) return;
  }
  context_.TryCancel();
  std::unique_lock<std::mutex> lock(mu_);
  phase_changed_.wait(lock, [this] { return phase_ == Phase::kEnded; });
}

// The server sends its initial metadata once it has subscribed the stream to the room; a refusal
// comes as trailers only, and then ok is false.
void Subscription::Impl::OnReadInitialMetadataDone(bool ok) {
  TakeOver(this);
  if (ok) MarkAccepted();
}

void Subscription::Impl::OnReadDone(bool ok) {
  TakeOver(this);
  if (!ok) return;  // the stream ended; OnDone follows
  MarkAccepted();   // in case this reaction overtook OnReadInitialMetadataDone
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;  // the owner is cancelling; OnDone follows
  }
  on_message_(FromWire(incoming_));
  HandOff(this);
  StartRead(&incoming_);
}

void Subscription::Impl::OnDone(const grpc::Status& status) {
  TakeOver(this);
  bool ended_by_itself = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_by_itself = phase_ == Phase::kAccepted && !stopping_;
  }
  if (ended_by_itself && on_end_) on_end_(FromGrpcStatus(status));

  // The last act: once mu_ is released the owner may free this object, so notify under the lock.
  std::lock_guard<std::mutex> lock(mu_);
  end_status_ = FromGrpcStatus(status);
  phase_ = Phase::kEnded;
  phase_changed_.notify_all();
}

void Subscription::Impl::MarkAccepted() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ != Phase::kStarting) return;
    phase_ = Phase::kAccepted;
  }
  phase_changed_.notify_all();
}

Subscription::Subscription(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Subscription::~Subscription() { impl_->Stop(); }

}  // namespace chat
