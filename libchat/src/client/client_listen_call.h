// One stream call of a client, Subscribe or Listen, on gRPC's callback API. A Subscription runs one
// after another: the first, then one per resume after a lost connection.
#ifndef CHAT_SRC_CLIENT_CLIENT_LISTEN_CALL_H_
#define CHAT_SRC_CLIENT_CLIENT_LISTEN_CALL_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>

#include "chat.pb.h"
#include "chat/status.h"

namespace chat {

// The states, and what moves between them:
//
//   kStarting --initial metadata--> kAccepted --Open()--> kOpen --OnDone--> kEnded
//       |                                                   (reads, one at a time)
//       +--refused, cancelled, timed out--> kRefused --OnDone--> kEnded
//
// Start() returns once the call is kAccepted or refused. Nothing is read before Open(): a hold
// (AddHold) keeps the call alive meanwhile, so that the owner can do what must come before the
// first message (keep the replay count, tell that a stream resumed) without racing it.
//
// Either RPC, read the same way: Subscribe (libchat's own) reads a MessageBatch at a time, Listen
// (what a server before Subscribe offers) a Message at a time; each message goes to the handler in
// order either way. Both go through the generic stub as bytes, parsed here, so that one class
// serves both (the generated stub wants a reactor of each response type). On the wire a call that
// sends its one request and half-closes at once (StartWriteLast) is a server-streaming call.
//
// Outstanding on gRPC's side: the request's write, the initial-metadata read, at most one read,
// the hold until Open() or Stop(), and the call itself until OnDone. OnDone comes after all of
// them.
//
// Lifetime: owned by one Subscription::Impl, and freed only after Stop() returned, on a thread
// that is not gRPC's (subscription.h says why).
//
// Threading: Start(), Open() and Stop() run on the owner's threads, Cancel() on any; the On*
// reactions on gRPC's, one at a time. mu_ guards phase_, holding_, stopping_, unreadable_ and
// end_status_.
class ClientListenCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  enum class Rpc {
    kSubscribe,  // each read a MessageBatch
    kListen,     // each read a Message
  };

  // The metadata in which the server says how many messages it replays first.
  static constexpr char kReplayCountMetadata[] = "chat-replay-count";

  struct Handlers {
    // Each message read (each of a batch, in order), on a gRPC thread, in order; the next read
    // starts once it has returned for every message of the last.
    std::function<void(const Message&)> message;
    // Why an opened call ended by itself (never when Stop() ended it), on a gRPC thread, last.
    std::function<void(const Status&)> ended;
  };

  ClientListenCall(Rpc rpc, ListenRequest request, Handlers handlers);

  ClientListenCall(const ClientListenCall&) = delete;
  ClientListenCall& operator=(const ClientListenCall&) = delete;

  // Starts the call, carrying `session` (none when empty), and waits until the server accepted the
  // stream (OK), refused it (its status), or `timeout` passed (DEADLINE_EXCEEDED; the call is then
  // stopped). A server that does not serve the RPC answers UNIMPLEMENTED. Once.
  Status Start(grpc::GenericStub* stub, const std::string& session, std::chrono::milliseconds timeout);

  Rpc rpc() const { return rpc_; }

  // What the server said it replays first; valid once Start() returned OK.
  std::size_t replayed() const { return replayed_; }

  // After Start() returned OK: starts reading, so handlers run from now on.
  void Open();

  // Asks gRPC to end the call, from any thread, without waiting; the owner still calls Stop().
  void Cancel();

  // Cancels the call if it still runs and waits until OnDone has finished. No handler runs after
  // it returns, and `ended` never runs because of it. Idempotent.
  void Stop();

  void OnReadInitialMetadataDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  enum class Phase { kStarting, kAccepted, kRefused, kOpen, kEnded };

  // Removes the hold once, if it is still held.
  void Release();
  std::size_t ReadReplayCount() const;
  // Parses `incoming_` as the RPC's response and hands each message to the handler; false when it
  // does not parse.
  bool HandOn();

  grpc::ClientContext context_;
  const Rpc rpc_;
  grpc::ByteBuffer request_;  // the serialized ListenRequest, written once
  grpc::ByteBuffer incoming_;  // filled by each read, consumed by OnReadDone before the next read starts
  const Handlers handlers_;
  std::size_t replayed_ = 0;  // written before Start() returns OK, read-only afterwards

  mutable std::mutex mu_;
  std::condition_variable phase_changed_;
  Phase phase_ = Phase::kStarting;
  bool holding_ = false;
  bool stopping_ = false;
  bool unreadable_ = false;  // a read did not parse, and the call was cancelled for it
  Status end_status_;
};

}  // namespace chat

#endif  // CHAT_SRC_CLIENT_CLIENT_LISTEN_CALL_H_
