// Listen and Subscribe: one server-streaming call, and the room's Subscriber for it. Both RPCs run
// this one state machine and differ only in their framing, chosen at Spawn: Listen writes one
// chat.Message per write; Subscribe writes one chat.MessageBatch holding every message waiting
// (replay first, then live), up to the caps of wire_batch.h, and never waits for more to come.
// Everything else (the room's limits and eviction, the busy gate, the drain timeout, the statuses,
// the logging) is the same for both.
//
//   kWaitingForCall --request ok--> kSubscribing --backend accepts--> kStreaming <--+
//        |                              |                          |  |  write done: next write
//        | request !ok                  | request does not parse,  |  +-----------+ (a message, or
//        v                              | backend refuses, or      |  |             a batch)
//      freed                            | closed it meanwhile      |  | Close() by the backend (eviction,
//                                       |                          |  | shutdown), a write in flight
//                                       |  Close() with no write   |  v
//                                       |  in flight: Finish; a    | kDraining (drain alarm armed)
//                                       |  write failed, or the    |  | write done: Finish; or the
//                                       |  done notification came  |  | write failed (client gone, or
//                                       v                          v  v cancelled at the drain deadline)
//                                  kFinishing <--------------------+--+
//                                       |
//                                       v
//                       freed once every operation came back
//
// The backend's answer to Subscribe (backend/room_backend.h) may come at once or from another
// thread; either way it is acted on in the call's queue thread (answer_relay.h), and the done
// notification may come before it: then the answer only ends the call.
//
// Operations outstanding at once: the done notification (from the moment the call arrives until
// it ends), the backend's answer to Subscribe (until it is acted on), at most one write (of one
// message or one batch) or initial-metadata send, at most one Finish, at most one drain alarm, at
// most one stall alarm (armed while messages wait behind a write in flight, so that the busy gate
// learns of a client that stopped reading; busy_gate.h), and at most one turn asked of the write
// scheduler. outstanding_ counts them; the object frees itself when the count falls to zero, never
// on the done notification alone. The backend forgets the call before it is freed: the done
// notification calls RoomBackend::Unsubscribe unless the backend already dropped it by calling
// Close() or refused it.
//
// Threading: the call's completion-queue thread runs the On* handlers; TakeTurn runs on the thread
// of the connection's write scheduler, which may be another queue's, at the same time as they do;
// the backend calls Deliver, Replay and Close from any thread with its own lock held. mu_ guards
// every field below it. Lock order is the backend's lock, then mu_, then the scheduler's, so no
// code here calls the backend while holding mu_. Writes start on completion-queue threads only,
// except a Finish after Close(). A batch is put together under mu_ by the thread that starts its
// write: it only takes references to the messages' slices.
#ifndef CHAT_SRC_SERVER_CALLS_LISTEN_CALL_H_
#define CHAT_SRC_SERVER_CALLS_LISTEN_CALL_H_

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/alarm.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_stream.h>

#include "backend/room_backend.h"
#include "server/answer_relay.h"
#include "server/busy_gate.h"
#include "server/call_environment.h"
#include "server/metrics/call_metrics.h"
#include "server/operation.h"

namespace chat {

class ListenCall final : public Subscriber, public WriteTurn {
 public:
  // What one write of the stream carries.
  enum class Framing {
    kMessage,  // Listen: one chat.Message
    kBatch,    // Subscribe: a chat.MessageBatch of every message waiting, up to the caps
  };

  // Creates a call object waiting for the next call on env.queue of the RPC `framing` serves
  // (Listen or Subscribe); it frees itself.
  static void Spawn(const CallEnvironment& env, Framing framing);

  // Subscriber: called by the room with its lock held. Deliver only queues; the writing starts on
  // the thread of its connection's write scheduler (write_scheduler.h).
  bool Deliver(const MessagePtr& message) override;
  // Keeps the replay apart from the live queue: it is as long as the history it comes from, and old,
  // so neither max_queued_messages nor max_stream_lag applies to it. It is written first.
  bool Replay(const std::vector<MessagePtr>& messages) override;
  void Close(const Status& reason) override;

  // WriteTurn: on the connection's scheduler thread, after Deliver asked for it.
  void TakeTurn() override;

 private:
  enum class State {
    kWaitingForCall,  // RequestListen pending
    kSubscribing,     // the call arrived; asking the backend. Deliveries queue up, nothing is written
    kStreaming,       // writing the queue, one message or one batch at a time
    kDraining,        // ending with finish_status_ once the write in flight comes back
    kFinishing,       // Finish sent, or the stream broke: waiting for the last completions
  };

  ListenCall(const CallEnvironment& env, Framing framing);
  ~ListenCall() override;

  void OnRequest(bool ok);
  void OnSubscribeAnswer(bool ok);  // the backend's answer came from another thread
  // Acts on the backend's answer to Subscribe, on the call's queue thread.
  void TakeUpSubscribeAnswer();
  void OnWriteDone(bool ok);  // a message write or the initial-metadata send
  void OnFinishDone(bool ok);
  void OnDone(bool ok);
  void OnDrainDeadline(bool ok);
  void OnStallCheck(bool ok);

  // The RPC this call serves, for the metrics.
  Rpc rpc() const { return framing_ == Framing::kBatch ? Rpc::kSubscribe : Rpc::kListen; }
  // Starts writing what waits, the replay before the live queue, unless a write is in flight or
  // nothing waits: the front message (Listen), or a batch of as many as the caps allow (Subscribe).
  void WriteNextLocked();
  // Takes what the next write carries off the queues, and counts it in writing_messages_ and
  // live_accepted_at_.
  grpc::ByteBuffer TakeWriteLocked();
  bool HasWaitingLocked() const { return !replay_.empty() || !queue_.empty(); }
  // The next message to write, the replay's before the queue's; only while HasWaitingLocked().
  const SequencedMessage& FrontLocked() const;
  MessagePtr PopFrontLocked();
  // Accepted: sends the initial metadata, which says how many replayed messages come first.
  void StartStreamingLocked(std::size_t replayed);
  void FinishLocked();
  void StopDrainAlarmLocked();
  // Empties the queue, keeping the busy gate's count right.
  void DropQueueLocked();
  // Tells the busy gate what this stream counts now (busy_gate.h): its queue, or nothing while the
  // write in flight has not come back for BusyGate::kStalledAfter by `now`; and the server's count of
  // queued messages, its queue in any case.
  void RecountLocked(SteadyTime now);
  // Arms the stall alarm for when the write in flight will have been out kStalledAfter, so that a
  // stream whose client stopped reading is recounted as stalled even if no message comes to tell.
  void WatchForStallLocked();
  // Marks one operation as come back, with `lock` holding mu_, and frees the object when it was the
  // last. The caller must not touch the object afterwards.
  void EndOperation(std::unique_lock<std::mutex> lock);

  const CallEnvironment env_;
  const Framing framing_;
  grpc::ServerContext context_;
  grpc::ByteBuffer request_bytes_;
  grpc::ServerAsyncWriter<grpc::ByteBuffer> writer_;
  std::string peer_;  // set when the call arrives, constant afterwards
  WriteScheduler* scheduler_ = nullptr;  // its connection's (write_scheduler.h); set with peer_

  BoundOperation<ListenCall> on_request_{this, &ListenCall::OnRequest};
  BoundOperation<ListenCall> on_write_done_{this, &ListenCall::OnWriteDone};
  BoundOperation<ListenCall> on_finish_done_{this, &ListenCall::OnFinishDone};
  BoundOperation<ListenCall> on_done_{this, &ListenCall::OnDone};
  BoundOperation<ListenCall> on_drain_deadline_{this, &ListenCall::OnDrainDeadline};
  BoundOperation<ListenCall> on_stall_check_{this, &ListenCall::OnStallCheck};
  BoundOperation<ListenCall> on_subscribe_answer_{this, &ListenCall::OnSubscribeAnswer};
  AnswerRelay subscribe_relay_{env_.queue, &on_subscribe_answer_};
  // The backend's answer to Subscribe: written by its reply before the relay is told, read after.
  std::optional<Result<std::size_t>> subscribe_answer_;

  std::mutex mu_;
  State state_ = State::kWaitingForCall;
  int outstanding_ = 1;           // the request
  bool write_in_flight_ = false;  // one write at a time per stream
  bool turn_pending_ = false;     // asked the scheduler for a turn, which has not run yet
  std::size_t writing_messages_ = 0;  // messages in the write in flight; 0 for the initial metadata
  bool subscribed_ = false;       // the backend holds a pointer to this call
  bool done_ = false;             // the done notification came
  bool drain_alarm_armed_ = false;
  bool stall_alarm_armed_ = false;
  std::deque<MessagePtr> replay_;  // written before queue_; at most ServerOptions::history_messages + 1
  std::deque<MessagePtr> queue_;  // behind the write in flight; at most options->max_queued_messages
  SteadyTime write_started_;      // of the write in flight
  // When the room accepted each live message of the write in flight (replayed ones are not timed).
  std::vector<SteadyTime> live_accepted_at_;
  bool stalled_ = false;          // as last told to the busy gate
  std::int64_t gate_counted_ = 0;  // queued messages last told to the busy gate
  std::int64_t queued_counted_ = 0;  // queue_.size() last added to CallCounters::queued_messages
  std::optional<grpc::Status> finish_status_;
  grpc::Alarm drain_alarm_;
  grpc::Alarm stall_alarm_;
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_LISTEN_CALL_H_
