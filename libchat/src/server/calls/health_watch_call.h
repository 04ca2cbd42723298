// grpc.health.v1.Health/Watch: the status at once, then every change, until the server shuts down.
//
//   kWaitingForCall --request ok--> kWatching --Close() (shutdown)--> kFinishing --> freed once
//        |                            ^    |   (after the write in flight)           every operation
//        | request !ok                |    |                                         came back
//        v                            +----+ write done: the status changed meanwhile? write it
//      freed
//
// Only the latest status matters, so nothing queues: a change while a write is in flight is
// written when that write comes back, if it still differs from what was sent. Operations are
// counted as in ListenCall: the done notification, at most one write, at most one Finish.
//
// Threading: the queue's thread runs the On* handlers; HealthStatus calls StatusChanged and Close
// from any thread with its lock held (lock order HealthStatus, then mu_). mu_ guards the fields.
#ifndef CHAT_SRC_SERVER_CALLS_HEALTH_WATCH_CALL_H_
#define CHAT_SRC_SERVER_CALLS_HEALTH_WATCH_CALL_H_

#include <mutex>
#include <optional>

#include <grpcpp/server_context.h>
#include <grpcpp/support/async_stream.h>

#include "server/call_environment.h"
#include "server/operation.h"

namespace chat {

class HealthWatchCall final : public HealthStatus::Watcher {
 public:
  // Creates a call object waiting for the next Watch on env.queue; it frees itself.
  static void Spawn(const CallEnvironment& env);

  void StatusChanged(ServingStatus status) override;
  void Close() override;

 private:
  enum class State { kWaitingForCall, kWatching, kFinishing };

  explicit HealthWatchCall(const CallEnvironment& env) : env_(env), writer_(&context_) {}
  ~HealthWatchCall() = default;

  void OnRequest(bool ok);
  void OnWriteDone(bool ok);
  void OnFinishDone(bool ok);
  void OnDone(bool ok);

  // Writes `latest_` unless a write is in flight or it is what went out last.
  void WriteLatestLocked();
  void FinishLocked(const grpc::Status& status);
  // Marks one operation as come back, with `lock` holding mu_, and frees the object when it was the
  // last. The caller must not touch the object afterwards.
  void EndOperation(std::unique_lock<std::mutex> lock);

  const CallEnvironment env_;
  grpc::ServerContext context_;
  grpc::ByteBuffer request_bytes_;
  grpc::ServerAsyncWriter<grpc::ByteBuffer> writer_;
  // Set when the call arrives, before it is watching: the service asked about is one reported here.
  bool known_service_ = false;

  BoundOperation<HealthWatchCall> on_request_{this, &HealthWatchCall::OnRequest};
  BoundOperation<HealthWatchCall> on_write_done_{this, &HealthWatchCall::OnWriteDone};
  BoundOperation<HealthWatchCall> on_finish_done_{this, &HealthWatchCall::OnFinishDone};
  BoundOperation<HealthWatchCall> on_done_{this, &HealthWatchCall::OnDone};

  std::mutex mu_;
  State state_ = State::kWaitingForCall;
  int outstanding_ = 1;  // the request
  bool write_in_flight_ = false;
  bool closing_ = false;     // the server is going away: finish once the writes are done
  bool watching_ = false;    // HealthStatus holds a pointer to this call
  ServingStatus latest_ = grpc::health::v1::HealthCheckResponse::UNKNOWN;
  std::optional<ServingStatus> sent_;
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_HEALTH_WATCH_CALL_H_
