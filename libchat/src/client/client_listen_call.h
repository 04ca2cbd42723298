// One Listen call of a client, on gRPC's callback API. A Subscription runs one after another: the
// first, then one per resume after a lost connection.
#ifndef CHAT_SRC_CLIENT_CLIENT_LISTEN_CALL_H_
#define CHAT_SRC_CLIENT_CLIENT_LISTEN_CALL_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include "chat.grpc.pb.h"
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
// Outstanding on gRPC's side: the initial-metadata read, at most one message read, the hold until
// Open() or Stop(), and the call itself until OnDone. OnDone comes after all of them.
//
// Lifetime: owned by one Subscription::Impl, and freed only after Stop() returned, on a thread
// that is not gRPC's (subscription.h says why).
//
// Threading: Start(), Open() and Stop() run on the owner's threads, Cancel() on any; the On*
// reactions on gRPC's, one at a time. mu_ guards phase_, holding_, stopping_ and end_status_.
class ClientListenCall final : public grpc::ClientReadReactor<Message> {
 public:
  // The metadata in which the server says how many messages it replays first.
  static constexpr char kReplayCountMetadata[] = "chat-replay-count";

  struct Handlers {
    // Each message read, on a gRPC thread, in order; the next is read once it returns.
    std::function<void(const Message&)> message;
    // Why an opened call ended by itself (never when Stop() ended it), on a gRPC thread, last.
    std::function<void(const Status&)> ended;
  };

  ClientListenCall(ListenRequest request, Handlers handlers);

  ClientListenCall(const ClientListenCall&) = delete;
  ClientListenCall& operator=(const ClientListenCall&) = delete;

  // Starts the call, carrying `session` (none when empty), and waits until the server accepted the
  // stream (OK), refused it (its status), or `timeout` passed (DEADLINE_EXCEEDED; the call is then
  // stopped). Once.
  Status Start(Chat::Stub* stub, const std::string& session, std::chrono::milliseconds timeout);

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
  void OnDone(const grpc::Status& status) override;

 private:
  enum class Phase { kStarting, kAccepted, kRefused, kOpen, kEnded };

  // Removes the hold once, if it is still held.
  void Release();
  std::size_t ReadReplayCount() const;

  grpc::ClientContext context_;
  const ListenRequest request_;
  Message incoming_;  // filled by each read, consumed by OnReadDone before the next read starts
  const Handlers handlers_;
  std::size_t replayed_ = 0;  // written before Start() returns OK, read-only afterwards

  mutable std::mutex mu_;
  std::condition_variable phase_changed_;
  Phase phase_ = Phase::kStarting;
  bool holding_ = false;
  bool stopping_ = false;
  Status end_status_;
};

}  // namespace chat

#endif  // CHAT_SRC_CLIENT_CLIENT_LISTEN_CALL_H_
