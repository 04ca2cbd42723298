#include "sender_pool.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <grpc/support/time.h>
#include <grpcpp/alarm.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>

#include "chat.grpc.pb.h"
#include "client/connection.h"
#include "common/thread_annotations.h"
#include "server_list.h"
#include "stamp.h"
#include "wire/wire.h"

namespace chat::bench {

namespace {

// One polling thread: measured against two on the 2-core machine (64 senders flat out, 1
// subscriber, 4 s, whole chat-bench per delivery), one cost 52.6 and 63.7 us CPU and 1.27 and 1.21
// wake-ups, two 58.4 and 67.3 us and 1.56 and 1.51 wake-ups. A second thread only splits the
// completions that one thread takes in a single wake-up, on a machine whose other core the server needs.
constexpr int kPollingThreads = 1;

using Clock = std::chrono::steady_clock;

// `when` on gRPC's monotonic clock, which does not jump with the wall clock as a system_clock
// deadline would.
gpr_timespec MonotonicDeadline(Clock::time_point when) {
  const auto remaining = std::chrono::duration_cast<std::chrono::nanoseconds>(when - Clock::now());
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_nanos(std::max<std::int64_t>(0, remaining.count()), GPR_TIMESPAN));
}

}  // namespace

// One sender: a registered user on a connection of its own, with one operation in flight at a
// time, either a SendMessage call or the alarm that waits for its next send time:
//
//   Begin ─▶ alarm ─due─▶ call ─answered─▶ call                    flat out, or behind its schedule
//                               └answered─▶ alarm ─due─▶ call       with a rate, ahead of its schedule
//
// Each step comes back on the sender's queue, and only its polling thread touches the sender
// after Begin; once the pool stops, the step that comes back ends the sender instead. The pool's
// Stop() cancels the alarm (under the pool's mutex, as the sender sets it after Begin; Begin runs
// in Start, before Stop can), so a sender waiting for a distant send time ends at once.
class SenderPool::Sender {
 public:
  enum class Step { kAnswered, kDue };

  // The tag of one step of one sender.
  struct Tag {
    Sender* sender;
    Step step;
  };

  Sender(SenderPool* pool, std::unique_ptr<Chat::Stub> stub, Clock::duration interval,
         std::chrono::milliseconds timeout, std::size_t size)
      : pool_(pool), stub_(std::move(stub)), interval_(interval), timeout_(timeout), size_(size) {}

  // Takes `name` with a blocking AddUser on the sender's connection, which then may send as it.
  Status Register(const std::string& name) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout_);
    User request;
    request.set_username(name);
    MessageResponse response;
    const grpc::Status status = stub_->AddUser(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    if (response.code() != MessageResponse::ADDED) {
      return Status(StatusCode::kAlreadyExists, "cannot register a sender: " + response.msg());
    }
    return Status();
  }

  // Starts sending on `queue`: at once flat out, after one interval with a rate. The first send,
  // like every later one, starts on the polling thread (through the alarm): gRPC's inline code
  // keeps writing into the call's context after the call is started, so a send started here could
  // still be writing when its answer comes back there.
  void Begin(grpc::CompletionQueue* queue) {
    queue_ = queue;
    next_ = Clock::now() + interval_;
    HandOff(this);
    alarm_.Set(queue_, MonotonicDeadline(next_), &due_);
  }

  // Advances the sender after `step` came back; false once it has ended for good (nothing of it is
  // in flight any more).
  bool Advance(Step step, bool ok) {
    TakeOver(this);
    switch (step) {
      case Step::kAnswered:
        OnAnswer();
        return SendOrWait();
      case Step::kDue:
        // The first send time, or the next one. Not ok: the pool cancelled the alarm to stop.
        if (!ok || pool_->stopping_.load(std::memory_order_relaxed)) return false;
        Send();
        return true;
    }
    return false;
  }

  // Called with the pool's mutex held, once it is stopping.
  void CancelAlarm() { alarm_.Cancel(); }

  std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  std::uint64_t last_id() const { return last_id_.load(std::memory_order_relaxed); }

 private:
  // Sends the next message now or arms the alarm for its send time; false when the pool stops.
  bool SendOrWait() {
    if (pool_->stopping_.load(std::memory_order_relaxed)) return false;
    if (interval_ == Clock::duration::zero()) {
      Send();
      return true;
    }
    // A fixed schedule, so that the rate does not drift with the round trip; a sender that fell
    // behind it sends at once until it has caught up.
    next_ += interval_;
    if (Clock::now() >= next_) {
      Send();
      return true;
    }
    std::lock_guard<std::mutex> lock(pool_->mu_);
    if (pool_->stopping_.load(std::memory_order_relaxed)) return false;
    HandOff(this);
    alarm_.Set(queue_, MonotonicDeadline(next_), &due_);
    return true;
  }

  void Send() {
    // The call's reader lives in the arena of the call the context owns: it goes first.
    call_.reset();
    context_.emplace();
    context_->set_deadline(std::chrono::system_clock::now() + timeout_);
    // Stamped last, so that the latency measured from it includes no work of ours before the call.
    request_.set_msg(StampedText(NowNanos(), size_));
    call_ = stub_->PrepareAsyncSendMessage(&*context_, request_, queue_);
    call_->StartCall();
    HandOff(this);
    call_->Finish(&response_, &status_, &answered_);
  }

  void OnAnswer() {
    if (!status_.ok()) {
      refused_.store(refused_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      pool_->OnRefused(FromGrpcStatus(status_));
      return;
    }
    accepted_.store(accepted_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    // One call at a time, so a sender's answers come in the room's order: the last is the highest.
    last_id_.store(std::max(last_id_.load(std::memory_order_relaxed), response_.id()), std::memory_order_relaxed);
  }

  SenderPool* const pool_;
  const std::unique_ptr<Chat::Stub> stub_;
  const Clock::duration interval_;  // zero: flat out
  const std::chrono::milliseconds timeout_;
  const std::size_t size_;
  grpc::CompletionQueue* queue_ = nullptr;
  Tag answered_{this, Step::kAnswered};
  Tag due_{this, Step::kDue};

  // Touched by one polling thread at a time (see the class comment), alarm_ also by Stop() under
  // the pool's mutex.
  Clock::time_point next_;
  grpc::Alarm alarm_;
  Message request_;
  MessageResponse response_;
  grpc::Status status_;
  std::optional<grpc::ClientContext> context_;  // one per call: a context cannot be reused
  std::unique_ptr<grpc::ClientAsyncResponseReader<MessageResponse>> call_;  // after context_, to go first

  // Written by the sender's polling thread only; read by the pool's owner at any time.
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> last_id_{0};
};

SenderPool::SenderPool() = default;

Result<std::unique_ptr<SenderPool>> SenderPool::Start(const ClientOptions& connection, int senders, double rate,
                                                      std::size_t size) {
  const Clock::duration interval =
      rate > 0 && senders > 0
          ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(senders / rate))
          : Clock::duration::zero();
  std::unique_ptr<SenderPool> pool(new SenderPool());
  const std::vector<std::string> servers = ServerList(connection.server_address);
  for (int i = 0; i < senders; ++i) {
    auto sender = std::make_unique<Sender>(
        pool.get(), Chat::NewStub(NewConnection(ServerFor(servers, i), connection.tls_root_certificates)), interval,
        connection.rpc_timeout, size);
    // Unique to this process: a sender never listens, so the server keeps its name for its
    // registration grace period after the run.
    if (Status status = sender->Register(fmt::format("bench-{}-{}", getpid(), i)); !status.ok()) return status;
    pool->senders_.push_back(std::move(sender));
  }
  // The queues exist only once every sender is registered, so a pool that failed to start has
  // nothing on them to drain.
  for (int i = 0; i < kPollingThreads; ++i) {
    pool->queues_.push_back(std::make_unique<grpc::CompletionQueue>());
    pool->threads_.emplace_back(&SenderPool::Poll, pool.get(), pool->queues_.back().get());
  }
  for (std::size_t i = 0; i < pool->senders_.size(); ++i) {
    pool->senders_[i]->Begin(pool->queues_[i % pool->queues_.size()].get());
  }
  return pool;
}

SenderPool::~SenderPool() { Stop(); }

void SenderPool::Stop() {
  if (threads_.empty()) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_.store(true, std::memory_order_relaxed);
    for (auto& sender : senders_) sender->CancelAlarm();
    // Calls in flight are left to be answered, so that what they sent is counted; each has a
    // deadline, so this wait ends.
    all_done_.wait(lock, [this] { return done_ == senders_.size(); });
  }
  for (auto& queue : queues_) queue->Shutdown();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

std::uint64_t SenderPool::accepted() const {
  std::uint64_t total = 0;
  for (const auto& sender : senders_) total += sender->accepted();
  return total;
}

std::uint64_t SenderPool::refused() const {
  std::uint64_t total = 0;
  for (const auto& sender : senders_) total += sender->refused();
  return total;
}

std::uint64_t SenderPool::last_id() const {
  std::uint64_t last = 0;
  for (const auto& sender : senders_) last = std::max(last, sender->last_id());
  return last;
}

Status SenderPool::first_refusal() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_refusal_;
}

void SenderPool::Poll(grpc::CompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) {
    const Sender::Tag& step = *static_cast<Sender::Tag*>(tag);
    if (!step.sender->Advance(step.step, ok)) OnSenderDone();
  }
}

void SenderPool::OnSenderDone() {
  std::lock_guard<std::mutex> lock(mu_);
  if (++done_ == senders_.size()) all_done_.notify_all();
}

void SenderPool::OnRefused(const Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (first_refusal_.ok()) first_refusal_ = status;
}

}  // namespace chat::bench
