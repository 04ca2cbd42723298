#include "client/subscription.h"

#include <algorithm>
#include <utility>

#include "wire/wire.h"

namespace chat {
namespace {

constexpr std::chrono::milliseconds kFirstResumeWait{250};
constexpr std::chrono::milliseconds kMaxResumeWait{4000};

// Worth another attempt: the server is not back yet, is still shutting down, or still counts the
// lost connection's stream against its limits. A server whose gRPC Shutdown has begun resets the
// calls that still reach it, and their clients see a bare CANCELLED. When the CANCELLED is ours
// (the subscription is being destroyed), Pause ends the attempts at once.
bool IsTransient(const Status& status) {
  switch (status.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kCancelled:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kResourceExhausted:
    case StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

}  // namespace

Subscription::Impl::Impl(std::shared_ptr<ClientCore> core, MessageHandler on_message, EndHandler on_end,
                         ListenOptions from)
    : core_(std::move(core)),
      on_message_(std::move(on_message)),
      on_end_(std::move(on_end)),
      from_(std::move(from)),
      random_(std::random_device()()) {}

Subscription::Impl::~Impl() { Stop(); }

Status Subscription::Impl::Start() {
  ListenRequest request;
  request.set_after_id(from_.after_id);
  request.set_history(from_.history);
  Result<std::unique_ptr<ClientListenCall>> started = StartCall(request, core_->session());
  if (!started.ok()) return started.status();
  replayed_ = (*started)->replayed();
  ClientListenCall* open = started->get();
  {
    std::lock_guard<std::mutex> lock(mu_);
    call_ = std::move(started).value();
  }
  open->Open();
  return Status::Ok();
}

void Subscription::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (attempt_ != nullptr) attempt_->Cancel();
  }
  changed_.notify_all();
  // Once stopping_ is set nobody starts the resume thread, and once it is joined nobody but this
  // thread touches call_.
  if (resumer_.joinable()) resumer_.join();
  if (call_) call_->Stop();
}

std::unique_ptr<ClientListenCall> Subscription::Impl::NewCall(ClientListenCall::Rpc rpc, const ListenRequest& request,
                                                              const std::string& session) {
  ClientListenCall::Handlers handlers;
  handlers.message = [this](const Message& message) { Deliver(message); };
  handlers.ended = [this, session](const Status& status) { CallEnded(status, session); };
  return std::make_unique<ClientListenCall>(rpc, request, std::move(handlers));
}

Result<std::unique_ptr<ClientListenCall>> Subscription::Impl::StartCall(const ListenRequest& request,
                                                                        const std::string& session) {
  while (true) {
    const auto rpc =
        core_->subscribe_unimplemented() ? ClientListenCall::Rpc::kListen : ClientListenCall::Rpc::kSubscribe;
    std::unique_ptr<ClientListenCall> call = NewCall(rpc, request, session);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return Status(StatusCode::kCancelled, "the subscription was destroyed");
      attempt_ = call.get();
    }
    const Status started = call->Start(&core_->generic_stub(), session, core_->options().rpc_timeout);
    {
      std::lock_guard<std::mutex> lock(mu_);
      attempt_ = nullptr;
    }
    if (started.ok()) return call;
    // A server that predates Subscribe: it serves Listen, which carries the same stream.
    if (started.code() == StatusCode::kUnimplemented && rpc == ClientListenCall::Rpc::kSubscribe) {
      core_->FallBackToListen();
      continue;
    }
    if (started.code() == StatusCode::kUnauthenticated) core_->ForgetSession(session);
    return started;
  }
}

void Subscription::Impl::Deliver(const Message& message) {
  const ChatMessage plain = FromWire(message);
  if (plain.id != 0) {
    if (plain.id <= last_id_.load()) return;  // delivered before the stream resumed
    last_id_.store(plain.id);
  }
  if (on_message_) on_message_(plain);
}

void Subscription::Impl::CallEnded(const Status& status, const std::string& session) {
  if (status.code() == StatusCode::kUnauthenticated) core_->ForgetSession(session);
  if (!Resumable(status)) {
    if (on_end_) on_end_(status);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
  }
  // Before the resume thread is woken, so that on_resumed cannot overtake it.
  if (from_.on_interrupted) from_.on_interrupted(status);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    lost_ = status;
    if (!resumer_.joinable()) resumer_ = std::thread([this] { RunResumer(); });
  }
  changed_.notify_all();
}

bool Subscription::Impl::Resumable(const Status& status) const {
  return status.code() == StatusCode::kUnavailable && core_->options().resume_for.count() > 0 &&
         !core_->session().empty();
}

void Subscription::Impl::RunResumer() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || lost_.has_value(); });
    if (stopping_) return;
    const Status reason = *std::exchange(lost_, std::nullopt);
    std::unique_ptr<ClientListenCall> ended = std::move(call_);
    lock.unlock();
    if (ended) ended->Stop();  // it has ended; this waits until its OnDone has returned
    ended.reset();

    Result<std::unique_ptr<ClientListenCall>> resumed = Resume(reason);
    if (!resumed.ok()) {
      lock.lock();
      if (stopping_) return;
      lock.unlock();
      if (on_end_) on_end_(resumed.status());
      return;
    }
    ClientListenCall* open = resumed->get();
    lock.lock();
    if (stopping_) {
      lock.unlock();
      open->Stop();
      return;
    }
    call_ = std::move(resumed).value();
    lock.unlock();
    // Only this thread and Stop() (after joining it) replace call_, so `open` stays valid here.
    if (from_.on_resumed) from_.on_resumed(open->replayed());
    open->Open();
    lock.lock();
  }
}

Result<std::unique_ptr<ClientListenCall>> Subscription::Impl::Resume(Status reason) {
  const auto deadline = std::chrono::steady_clock::now() + core_->options().resume_for;
  std::chrono::milliseconds wait = kFirstResumeWait;
  Status last = std::move(reason);
  while (true) {
    const std::string session = core_->session();
    if (session.empty()) return Status(StatusCode::kUnauthenticated, "the session is over; register again");
    ListenRequest request;
    request.set_after_id(std::max(from_.after_id, last_id_.load()));
    Result<std::unique_ptr<ClientListenCall>> started = StartCall(request, session);
    if (started.ok()) return started;
    if (!IsTransient(started.status())) return started.status();
    last = started.status();

    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return last;
    if (!Pause(std::min(wait, left))) return Status(StatusCode::kCancelled, "the subscription was destroyed");
    wait = std::min(wait * 2, kMaxResumeWait);
  }
}

// Jittered by ±20%, so that the clients of a restarted server do not all come back at once.
bool Subscription::Impl::Pause(std::chrono::milliseconds wait) {
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  const auto jittered = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double, std::milli>(static_cast<double>(wait.count()) * factor(random_)));
  std::unique_lock<std::mutex> lock(mu_);
  return !changed_.wait_for(lock, jittered, [this] { return stopping_; });
}

Subscription::Subscription(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Subscription::~Subscription() { impl_->Stop(); }

std::size_t Subscription::replayed() const { return impl_->replayed(); }
std::uint64_t Subscription::last_id() const { return impl_->last_id(); }

}  // namespace chat
