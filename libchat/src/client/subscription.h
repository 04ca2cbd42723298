// The client side of one stream across its calls: the first, and after a lost connection the ones
// that resume it.
//
// Each call is a Subscribe, which brings the messages waiting on the server in batches, or, once
// the server answered Subscribe UNIMPLEMENTED (an older libchat server), a Listen: the ClientCore
// remembers that for every stream of its Client, and the call that met the answer is made again at
// once as a Listen. Either way the handlers get the same messages, one at a time, in order.
#ifndef CHAT_SRC_CLIENT_SUBSCRIPTION_H_
#define CHAT_SRC_CLIENT_SUBSCRIPTION_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "chat.grpc.pb.h"
#include "chat/client.h"
#include "client/client_core.h"
#include "client/client_listen_call.h"

namespace chat {

// Resuming: when the open call ends with UNAVAILABLE (a lost connection, a server shutting down)
// and the Client has a session, its end handler, on a gRPC thread, only tells on_interrupted,
// records the end and wakes the resume thread (started then, the first time). That thread frees
// the ended call and opens new ones with after_id = the last id delivered, 250 ms apart doubling
// to 4 s, until one is accepted (on_resumed, then it is opened), an answer says it cannot work
// (UNAUTHENTICATED: the server forgot the session), or resume_for has passed (on_end, with the
// last error). Messages with an id at or below the last delivered are dropped, so none is
// delivered twice.
//
// Lifetime: owned by its Subscription alone and freed on the owner's thread after Stop(). Neither
// it nor a ClientListenCall may be freed on a gRPC thread: a call's ClientContext holds a reference
// to the channel, and gRPC 1.51 breaks when the last reference to a channel is dropped on one of
// the threads of its own callback queue (grpc/grpc#32584). So a call that ended is freed by the
// resume thread, which owns it from its end until the next call is open, or by Stop(); never in
// its own reactions.
//
// Threading: Start() and Stop() run on the owner's thread; Deliver() and CallEnded() on gRPC's, one
// at a time; RunResumer() on the resume thread, which calls handlers only while no call is open.
// mu_ guards call_ (also written by the resume thread, and by Stop() once it has joined it),
// attempt_, lost_, stopping_ and resumer_. last_id_ is written by whichever thread delivers and
// read by any.
class Subscription::Impl {
 public:
  Impl(std::shared_ptr<ClientCore> core, MessageHandler on_message, EndHandler on_end, ListenOptions from);
  ~Impl();

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Opens the first call and returns once the server accepted it (OK) or refused it (its status),
  // within the client's rpc_timeout.
  Status Start();

  // Ends the stream: stops any resume attempt and the open call, and waits until no handler runs.
  // on_end never runs because of it. Idempotent.
  void Stop();

  std::size_t replayed() const { return replayed_; }
  std::uint64_t last_id() const { return last_id_.load(); }

 private:
  std::unique_ptr<ClientListenCall> NewCall(ClientListenCall::Rpc rpc, const ListenRequest& request,
                                            const std::string& session);
  // Starts a call for `request` with `session` and waits until the server accepted it, within the
  // client's rpc_timeout (Subscribe, then Listen if it must fall back, each within it). Forgets the
  // session when the server says it is over. Stop() cancels it meanwhile.
  Result<std::unique_ptr<ClientListenCall>> StartCall(const ListenRequest& request, const std::string& session);
  void Deliver(const Message& message);
  void CallEnded(const Status& status, const std::string& session);
  bool Resumable(const Status& status) const;

  void RunResumer();
  // Opens a call that continues the stream, or says why none could be had.
  Result<std::unique_ptr<ClientListenCall>> Resume(Status reason);
  // Waits `wait` (jittered); false when the stream is stopping.
  bool Pause(std::chrono::milliseconds wait);

  const std::shared_ptr<ClientCore> core_;
  const MessageHandler on_message_;
  const EndHandler on_end_;
  const ListenOptions from_;
  std::size_t replayed_ = 0;  // set by Start(), read-only afterwards
  std::atomic<std::uint64_t> last_id_{0};
  std::minstd_rand random_;  // the resume thread's jitter

  std::mutex mu_;
  std::condition_variable changed_;  // lost_ or stopping_
  std::unique_ptr<ClientListenCall> call_;
  ClientListenCall* attempt_ = nullptr;  // the call the resume thread is starting, for Stop() to cancel
  std::optional<Status> lost_;           // the open call ended and should be resumed
  bool stopping_ = false;
  std::thread resumer_;
};

}  // namespace chat

#endif  // CHAT_SRC_CLIENT_SUBSCRIPTION_H_
