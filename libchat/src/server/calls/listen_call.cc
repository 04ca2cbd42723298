#include "server/calls/listen_call.h"

#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>

#include "server/caller.h"
#include "wire/wire.h"
#include "wire/wire_batch.h"

namespace chat {

void ListenCall::Spawn(const CallEnvironment& env, Framing framing) {
  auto* call = new ListenCall(env, framing);
  // Must precede the request; its tag comes back only if a call actually arrives.
  call->context_.AsyncNotifyWhenDone(call->on_done_.tag());
  if (framing == Framing::kBatch) {
    env.service->RequestSubscribe(&call->context_, &call->request_bytes_, &call->writer_, env.queue, env.queue,
                                  call->on_request_.tag());
  } else {
    env.service->RequestListen(&call->context_, &call->request_bytes_, &call->writer_, env.queue, env.queue,
                               call->on_request_.tag());
  }
}

ListenCall::ListenCall(const CallEnvironment& env, Framing framing)
    : env_(env), framing_(framing), writer_(&context_) {}

ListenCall::~ListenCall() {
  if (state_ != State::kWaitingForCall) env_.counters->listen_calls.fetch_sub(1, std::memory_order_relaxed);
  if (scheduler_ != nullptr) env_.schedulers->Release(peer_);
}

void ListenCall::OnRequest(bool ok) {
  if (!ok) {  // no call arrived (the server is shutting down), so no done notification will either
    delete this;
    return;
  }
  Spawn(env_, framing_);
  env_.counters->calls.fetch_add(1, std::memory_order_relaxed);
  env_.counters->listen_calls.fetch_add(1, std::memory_order_relaxed);
  peer_ = context_.peer();
  scheduler_ = env_.schedulers->Assign(peer_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = State::kSubscribing;
    outstanding_ = 1;  // the request is back; the done notification is now outstanding
  }

  ListenRequest request;
  if (grpc::Status parsed = ParseRequest(&request_bytes_, &request); !parsed.ok()) {
    env_.metrics->RecordAnswer(rpc(), parsed.error_code());
    std::lock_guard<std::mutex> lock(mu_);
    finish_status_ = parsed;
    FinishLocked();
    return;
  }

  // Counted as an operation until the answer is taken up, which may come after the done
  // notification. From the request on, the backend holds this call (room_backend.h).
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++outstanding_;
    subscribed_ = true;
  }
  // Not under mu_: the backend calls Deliver, Replay and Close with its own lock held, and its
  // lock comes first.
  subscribe_relay_.Asking();
  env_.backend->Subscribe(CallerOf(context_), this, ListenFrom{request.after_id(), request.history()},
                          [this](Result<std::size_t> replayed) {
                            subscribe_answer_ = std::move(replayed);
                            subscribe_relay_.Answered();
                          });
  if (subscribe_relay_.AnsweredWhileAsking()) TakeUpSubscribeAnswer();
}

void ListenCall::OnSubscribeAnswer(bool /*ok*/) { TakeUpSubscribeAnswer(); }

void ListenCall::TakeUpSubscribeAnswer() {
  std::unique_lock<std::mutex> lock(mu_);
  const Result<std::size_t>& subscribed = *subscribe_answer_;
  if (!subscribed.ok()) {
    subscribed_ = false;  // refused: the backend holds nothing
    env_.metrics->RecordAnswer(rpc(), ToGrpcStatus(subscribed.status()).error_code());
    if (done_) {
      state_ = State::kFinishing;
    } else {
      finish_status_ = ToGrpcStatus(subscribed.status());
      FinishLocked();
    }
  } else if (done_) {  // the client went away meanwhile; OnDone let go of the backend
    state_ = State::kFinishing;
  } else if (state_ == State::kDraining) {  // the backend closed the stream before its answer was in
    FinishLocked();
  } else {
    StartStreamingLocked(*subscribed);
  }
  EndOperation(std::move(lock));
}

void ListenCall::StartStreamingLocked(std::size_t replayed) {
  state_ = State::kStreaming;
  // The initial metadata tells the client the stream is accepted, and how many replayed messages
  // come before live ones. It occupies the write slot, so messages delivered meanwhile wait in the
  // queue.
  context_.AddInitialMetadata(std::string(kReplayCountMetadata), std::to_string(replayed));
  write_in_flight_ = true;
  write_started_ = std::chrono::steady_clock::now();
  ++outstanding_;
  writer_.SendInitialMetadata(on_write_done_.tag());
}

bool ListenCall::Deliver(const MessagePtr& message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != State::kSubscribing && state_ != State::kStreaming) return true;  // ending anyway
  if (queue_.size() >= env_.options->max_queued_messages) return false;
  // Lagging too long: the client reads too slowly or not at all. Checked as messages arrive, so a
  // stalled stream is evicted max_stream_lag after the first message it did not take, once another
  // comes; while none comes it holds no more than it has.
  if (!queue_.empty() && message->accepted_at - queue_.front()->accepted_at > env_.options->max_stream_lag) {
    return false;
  }
  queue_.push_back(message);
  RecountLocked(message->accepted_at);
  if (state_ == State::kStreaming && write_in_flight_ && !stall_alarm_armed_) WatchForStallLocked();
  if (state_ == State::kStreaming && !write_in_flight_ && !turn_pending_) {
    turn_pending_ = true;
    ++outstanding_;
    scheduler_->Schedule(this);
  }
  return true;
}

bool ListenCall::Replay(const std::vector<MessagePtr>& messages) {
  std::lock_guard<std::mutex> lock(mu_);
  // The backend replays before the first Deliver, before its answer to Subscribe: the state is
  // kSubscribing and nothing is written yet.
  replay_.assign(messages.begin(), messages.end());
  return true;
}

void ListenCall::TakeTurn() {
  std::unique_lock<std::mutex> lock(mu_);
  turn_pending_ = false;
  if (state_ == State::kStreaming) WriteNextLocked();
  EndOperation(std::move(lock));
}

void ListenCall::Close(const Status& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribed_ = false;  // the room has let go of this call
  if (state_ != State::kSubscribing && state_ != State::kStreaming) return;
  finish_status_ = ToGrpcStatus(reason);
  DropQueueLocked();
  if (state_ == State::kSubscribing) {  // OnRequest finishes once it sees kDraining
    state_ = State::kDraining;
    return;
  }
  if (!write_in_flight_) {
    FinishLocked();
    return;
  }
  // Finish may not overlap a write. A client that stopped reading may never let the write complete,
  // so give it drain_timeout and then cancel the call.
  state_ = State::kDraining;
  drain_alarm_armed_ = true;
  ++outstanding_;
  drain_alarm_.Set(env_.queue, std::chrono::system_clock::now() + env_.options->drain_timeout,
                   on_drain_deadline_.tag());
}

void ListenCall::OnWriteDone(bool ok) {
  std::unique_lock<std::mutex> lock(mu_);
  write_in_flight_ = false;
  RecountLocked(SteadyTime());  // a write came back: not stalled, whatever the time
  if (ok && writing_messages_ > 0) {  // deliveries count messages, whatever the batches
    env_.counters->deliveries.fetch_add(writing_messages_, std::memory_order_relaxed);
    const SteadyTime now = std::chrono::steady_clock::now();
    for (const SteadyTime accepted_at : live_accepted_at_) env_.metrics->RecordFanOut(now - accepted_at);
  }
  writing_messages_ = 0;
  live_accepted_at_.clear();  // keeps its capacity for the next write
  if (!ok) {  // the stream is broken: the client is gone, and the done notification will follow
    state_ = State::kFinishing;
    DropQueueLocked();
    StopDrainAlarmLocked();
  } else if (state_ == State::kDraining) {
    StopDrainAlarmLocked();
    FinishLocked();
  } else if (state_ == State::kStreaming) {
    WriteNextLocked();
  }
  EndOperation(std::move(lock));
}

void ListenCall::OnFinishDone(bool /*ok*/) {
  std::unique_lock<std::mutex> lock(mu_);
  EndOperation(std::move(lock));
}

void ListenCall::OnDone(bool /*ok*/) {
  bool unsubscribe = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    unsubscribe = std::exchange(subscribed_, false);
    if (state_ == State::kStreaming) state_ = State::kFinishing;  // nobody is reading any more
    DropQueueLocked();
    StopDrainAlarmLocked();
  }
  // The done notification is still counted in outstanding_, so this call stays alive while the
  // backend lets go of it; after Unsubscribe returns the backend never calls it again.
  if (unsubscribe) env_.backend->Unsubscribe(this);

  std::unique_lock<std::mutex> lock(mu_);
  EndOperation(std::move(lock));
}

void ListenCall::OnDrainDeadline(bool ok) {
  std::unique_lock<std::mutex> lock(mu_);
  drain_alarm_armed_ = false;
  if (ok && state_ == State::kDraining) {  // fired, not cancelled: the write is stuck
    spdlog::info("cancelling the stream of {}: its last write did not drain in {} ms", peer_,
                 env_.options->drain_timeout.count());
    context_.TryCancel();
  }
  EndOperation(std::move(lock));
}

void ListenCall::OnStallCheck(bool ok) {
  std::unique_lock<std::mutex> lock(mu_);
  stall_alarm_armed_ = false;
  if (ok && state_ == State::kStreaming) {
    RecountLocked(std::chrono::steady_clock::now());
    // Still behind another write, which has not had its second yet: look again when it has.
    if (!stalled_ && write_in_flight_ && !queue_.empty()) WatchForStallLocked();
  }
  EndOperation(std::move(lock));
}

void ListenCall::WatchForStallLocked() {
  stall_alarm_armed_ = true;
  ++outstanding_;
  const auto wait = write_started_ + BusyGate::kStalledAfter - std::chrono::steady_clock::now();
  stall_alarm_.Set(env_.queue, std::chrono::system_clock::now() + wait, on_stall_check_.tag());
}

void ListenCall::WriteNextLocked() {
  if (write_in_flight_ || !HasWaitingLocked()) return;
  const grpc::ByteBuffer bytes = TakeWriteLocked();
  // With more waiting, let gRPC hold this write back and send it with the next: several then leave
  // in one system call. The last of the queue goes out at once. (A batch leaves more behind only
  // when it reached a cap.)
  grpc::WriteOptions options;
  if (HasWaitingLocked()) options.set_buffer_hint();
  write_in_flight_ = true;
  write_started_ = std::chrono::steady_clock::now();
  RecountLocked(write_started_);
  ++outstanding_;
  writer_.Write(bytes, options, on_write_done_.tag());
}

grpc::ByteBuffer ListenCall::TakeWriteLocked() {
  if (framing_ == Framing::kMessage) {
    writing_messages_ = 1;
    return PopFrontLocked()->wire->Buffer();
  }
  // Whatever waits goes now, however little: a batch is never held back to fill up.
  WireBatch batch;
  while (HasWaitingLocked() && batch.Fits(FrontLocked().wire->bytes())) batch.Add(PopFrontLocked()->wire->bytes());
  writing_messages_ = batch.messages();
  return batch.Buffer();
}

const SequencedMessage& ListenCall::FrontLocked() const {
  return replay_.empty() ? *queue_.front() : *replay_.front();
}

MessagePtr ListenCall::PopFrontLocked() {
  std::deque<MessagePtr>& source = replay_.empty() ? queue_ : replay_;
  MessagePtr message = std::move(source.front());
  source.pop_front();
  // Replayed messages are old: their age is not the fan-out's latency.
  if (&source == &queue_) live_accepted_at_.push_back(message->accepted_at);
  return message;
}

void ListenCall::FinishLocked() {
  state_ = State::kFinishing;
  ++outstanding_;
  writer_.Finish(*finish_status_, on_finish_done_.tag());
}

void ListenCall::StopDrainAlarmLocked() {
  if (!drain_alarm_armed_) return;
  drain_alarm_armed_ = false;
  drain_alarm_.Cancel();  // its tag still comes back, with ok == false
}

void ListenCall::DropQueueLocked() {
  replay_.clear();
  queue_.clear();
  RecountLocked(SteadyTime());
  if (stall_alarm_armed_) {  // nothing is behind any more
    stall_alarm_armed_ = false;
    stall_alarm_.Cancel();  // its tag still comes back, with ok == false
  }
}

void ListenCall::RecountLocked(SteadyTime now) {
  const bool stalled = write_in_flight_ && now - write_started_ > BusyGate::kStalledAfter;
  if (stalled != stalled_) {
    stalled_ = stalled;
    env_.busy_gate->SetStalled(stalled);
  }
  const auto queued = static_cast<std::int64_t>(queue_.size());
  if (queued != queued_counted_) {
    env_.counters->queued_messages.fetch_add(queued - queued_counted_, std::memory_order_relaxed);
    queued_counted_ = queued;
  }
  const auto counted = static_cast<std::int64_t>(stalled ? 0 : queue_.size());
  if (counted != gate_counted_) {
    env_.busy_gate->AddQueued(counted - gate_counted_);
    gate_counted_ = counted;
  }
}

void ListenCall::EndOperation(std::unique_lock<std::mutex> lock) {
  if (--outstanding_ > 0) return;
  lock.unlock();
  delete this;
}

}  // namespace chat
