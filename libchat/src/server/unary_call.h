// The life every unary RPC shares:
//
//   [waiting for call] --request ok--> spawn successor, Ask() --answer--> Respond(), Finish --> [finishing] --> freed
//          |                                                                                     (any ok)
//          +--request !ok (server shutting down)--> freed
//
// A unary call has exactly one operation outstanding at a time (the request, the answer's alarm
// when the answer comes from another thread, then Finish), so it frees itself when that operation
// comes back and it has nothing more to do. It needs no done notification: Finish coming back (ok
// or not) is the end of the call.
//
// Each RPC is a class `Call final : public UnaryCall<Call, Request, Response, &Service::RequestX, Rpc::kX>`
// that defines
//   - `void Ask()`, optional: asks the backend (backend/room_backend.h) with a reply that stores the
//     answer in the call and then calls Answered(). Without it the call is answered at once.
//   - `grpc::Status Respond()`: on the call's queue thread, once the answer is in: fill response_,
//     return the status.
// The request arrives as bytes and is parsed here; one that does not parse is INVALID_ARGUMENT. Every
// answer is counted in the queue's CallMetrics under Rpc::kX: its time, and its code if an error.
#ifndef CHAT_SRC_SERVER_UNARY_CALL_H_
#define CHAT_SRC_SERVER_UNARY_CALL_H_

#include <chrono>

#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>

#include "server/answer_relay.h"
#include "server/call_environment.h"
#include "server/operation.h"
#include "wire/wire.h"

namespace chat {

// kRequest is the service's RequestX member function; it belongs to one of the service's base
// classes (Chat::WithRawMethod_X), so its type is left to the compiler, and ServiceFor finds the
// service object to call it on.
template <class Call, class Request, class Response, auto kRequest, Rpc kRpc>
class UnaryCall {
 public:
  // Creates a call object waiting for the next call of this RPC on env.queue; it frees itself.
  static void Spawn(const CallEnvironment& env) {
    auto* call = new Call(env);
    (ServiceFor(env, kRequest)->*kRequest)(&call->context_, &call->request_bytes_, &call->responder_, env.queue,
                                           env.queue, call->on_request_.tag());
  }

  UnaryCall(const UnaryCall&) = delete;
  UnaryCall& operator=(const UnaryCall&) = delete;

 protected:
  explicit UnaryCall(const CallEnvironment& env) : env_(env), responder_(&context_) {}
  ~UnaryCall() = default;

  // The default Ask(): nothing to ask, the answer is in.
  void Ask() { Answered(); }
  // For the reply of the call's Ask(), on whichever thread it runs, once it stored the answer.
  void Answered() { relay_.Answered(); }

  const CallEnvironment env_;
  grpc::ServerContext context_;
  Request request_;
  Response response_;

 private:
  void OnRequest(bool ok) {
    if (!ok) {  // no call arrived: the server is shutting down
      delete static_cast<Call*>(this);
      return;
    }
    arrived_ = std::chrono::steady_clock::now();
    Spawn(env_);
    env_.counters->calls.fetch_add(1, std::memory_order_relaxed);
    if (grpc::Status parsed = ParseRequest(&request_bytes_, &request_); !parsed.ok()) {
      Finish(parsed);
      return;
    }
    relay_.Asking();
    static_cast<Call*>(this)->Ask();
    if (relay_.AnsweredWhileAsking()) Finish(static_cast<Call*>(this)->Respond());
  }

  // The answer came from another thread; the alarm that brought it is never cancelled.
  void OnAnswer(bool /*ok*/) { Finish(static_cast<Call*>(this)->Respond()); }

  void Finish(const grpc::Status& status) {
    CallMetrics* const metrics = env_.metrics;  // this call is gRPC's once Finish is started
    const auto arrived = arrived_;
    metrics->RecordAnswer(kRpc, status.error_code());
    if (status.ok()) {
      responder_.Finish(Serialize(response_), status, on_finish_.tag());
    } else {
      responder_.FinishWithError(status, on_finish_.tag());
    }
    metrics->RecordHandling(kRpc, std::chrono::steady_clock::now() - arrived);
  }

  // Sent, or the client went away before it could be: either way the call is over.
  void OnFinish(bool /*ok*/) { delete static_cast<Call*>(this); }

  grpc::ByteBuffer request_bytes_;
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> responder_;
  std::chrono::steady_clock::time_point arrived_;
  BoundOperation<UnaryCall> on_request_{this, &UnaryCall::OnRequest};
  BoundOperation<UnaryCall> on_answer_{this, &UnaryCall::OnAnswer};
  BoundOperation<UnaryCall> on_finish_{this, &UnaryCall::OnFinish};
  AnswerRelay relay_{env_.queue, &on_answer_};
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_UNARY_CALL_H_
