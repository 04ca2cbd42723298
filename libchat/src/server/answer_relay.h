// Brings a backend's reply (backend/room_backend.h) back to the completion-queue thread of the call
// that asked for it, so that a call's handlers all run on its queue's thread whichever backend
// runs, and no queue thread ever waits for one.
//
// A call object asks through one relay per request:
//
//   relay.Asking();                  on the queue thread, before asking the backend
//   backend->X(..., [this](Result<T> r) { answer_ = std::move(r); relay.Answered(); });
//   if (relay.AnsweredWhileAsking()) TakeUpAnswer();   // the in-memory backend answers inline
//   // otherwise `on_answer` comes back on the queue once the answer has, and takes it up
//
// The reply stores the answer and calls Answered(), on whichever thread it runs. If the asking
// handler has not yet returned, that handler takes the answer up; otherwise Answered() arms an
// alarm that fires at once on the call's queue with `on_answer`'s tag. Either way the answer is
// taken up exactly once, on the queue thread, and whatever the reply stored before Answered() is
// visible there. While an answer is awaited through the alarm, the call counts `on_answer` as an
// operation outstanding.
#ifndef CHAT_SRC_SERVER_ANSWER_RELAY_H_
#define CHAT_SRC_SERVER_ANSWER_RELAY_H_

#include <atomic>

#include <grpc/support/time.h>
#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include "server/operation.h"

namespace chat {

class AnswerRelay {
 public:
  AnswerRelay(grpc::CompletionQueue* queue, Operation* on_answer) : queue_(queue), on_answer_(on_answer) {}

  AnswerRelay(const AnswerRelay&) = delete;
  AnswerRelay& operator=(const AnswerRelay&) = delete;

  // On the queue thread, before the request goes to the backend.
  void Asking() { state_.store(kAsking, std::memory_order_relaxed); }

  // From the reply, after it stored the answer: on any thread, once per request.
  void Answered() {
    if (state_.exchange(kAnswered, std::memory_order_acq_rel) == kWaiting) {
      alarm_.Set(queue_, gpr_inf_past(GPR_CLOCK_MONOTONIC), on_answer_->tag());
    }
  }

  // On the queue thread, once the request to the backend returned: true when the answer came
  // meanwhile, for the caller to take up now; false when on_answer will bring it.
  bool AnsweredWhileAsking() {
    int expected = kAsking;
    return !state_.compare_exchange_strong(expected, kWaiting, std::memory_order_acq_rel);
  }

 private:
  enum : int { kIdle, kAsking, kWaiting, kAnswered };

  grpc::CompletionQueue* const queue_;
  Operation* const on_answer_;
  std::atomic<int> state_{kIdle};
  grpc::Alarm alarm_;
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_ANSWER_RELAY_H_
