// The life every unary RPC shares:
//
//   [waiting for call] --request ok--> spawn successor, Handle(), Finish --> [finishing] --> freed
//          |                                                                   (any ok)
//          +--request !ok (server shutting down)--> freed
//
// A unary call has exactly one operation outstanding at a time, so it frees itself when that
// operation comes back and it has nothing more to do. It needs no done notification: Finish
// coming back (ok or not) is the end of the call.
//
// Each RPC is a class `Call final : public UnaryCall<Call, Request, Response, &Service::RequestX, Rpc::kX>`
// that defines `grpc::Status Handle()`: read request_, fill response_, return the status. The
// request arrives as bytes and is parsed here; one that does not parse is INVALID_ARGUMENT. Every
// answer is counted in the queue's CallMetrics under Rpc::kX: its time, and its code if an error.
#ifndef CHAT_SRC_SERVER_UNARY_CALL_H_
#define CHAT_SRC_SERVER_UNARY_CALL_H_

#include <chrono>

#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>

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
    const auto arrived = std::chrono::steady_clock::now();
    CallMetrics* const metrics = env_.metrics;  // this call is gRPC's once Finish is started
    Spawn(env_);
    env_.counters->calls.fetch_add(1, std::memory_order_relaxed);
    grpc::Status status = ParseRequest(&request_bytes_, &request_);
    if (status.ok()) status = static_cast<Call*>(this)->Handle();
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
  BoundOperation<UnaryCall> on_request_{this, &UnaryCall::OnRequest};
  BoundOperation<UnaryCall> on_finish_{this, &UnaryCall::OnFinish};
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_UNARY_CALL_H_
