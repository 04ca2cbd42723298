// The client side of one Listen stream, on gRPC's callback API: no thread of its own; handlers run
// on gRPC's threads.
#ifndef CHAT_SRC_CLIENT_SUBSCRIPTION_H_
#define CHAT_SRC_CLIENT_SUBSCRIPTION_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include "chat.grpc.pb.h"
#include "chat/client.h"

namespace chat {

// Lifetime: owned by its Subscription alone, and freed on the owner's thread after Stop() saw
// OnDone finish. It must never be freed on a gRPC thread: its ClientContext holds a reference to
// the channel, and gRPC 1.51 breaks when the last reference to a channel is dropped on one of the
// threads of its own callback queue (grpc/grpc#32584).
//
// Threading: Start() and Stop() run on the owner's thread; the On* reactions on gRPC's. mu_ guards
// phase_, stopping_ and end_status_.
class Subscription::Impl final : public grpc::ClientReadReactor<Message> {
 public:
  Impl(MessageHandler on_message, EndHandler on_end);

  // Starts the call and waits until the server accepted the stream (OK), refused it (its status),
  // or `timeout` passed (DEADLINE_EXCEEDED, and the call is cancelled).
  Status Start(Chat::Stub* stub, std::chrono::milliseconds timeout);

  // Cancels the stream if it still runs and waits until OnDone has finished. No handler runs after
  // it returns, and on_end never runs because of it.
  void Stop();

  void OnReadInitialMetadataDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  enum class Phase { kStarting, kAccepted, kEnded };

  void MarkAccepted();

  grpc::ClientContext context_;
  ListenRequest request_;
  Message incoming_;  // filled by each read, consumed by OnReadDone before the next read starts
  const MessageHandler on_message_;
  const EndHandler on_end_;

  std::mutex mu_;
  std::condition_variable phase_changed_;
  Phase phase_ = Phase::kStarting;
  bool stopping_ = false;
  Status end_status_;
};

}  // namespace chat

#endif  // CHAT_SRC_CLIENT_SUBSCRIPTION_H_
