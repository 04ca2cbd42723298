#ifndef CHAT_SRC_SERVER_EMBEDDING_DISPATCHING_SUBSCRIBER_H_
#define CHAT_SRC_SERVER_EMBEDDING_DISPATCHING_SUBSCRIBER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "chat/message.h"
#include "room/room.h"

namespace chat {

// A Subscriber that hands every message to a handler on a thread of its own, in order: the room's
// fan-out never waits for the handler, and the handler may call back into the room. It serves the
// embedding hooks (Server::Observe, Server::AddBot).
//
// It hands nothing over until Start(): its owner may subscribe it first and get ready after.
// Like a stream, it queues at most `max_queued` messages; the room evicts it when it is full.
// After the room closes it, `on_end` (if set) is called once with the reason, when every message
// queued before has been handled.
//
// Threading: the room calls Deliver and Close with its lock held; the handlers run on the
// dispatching thread; mu_ guards the queue and the end state. The owner must take it out of the
// room (Unsubscribe or Unobserve) before destroying it, never from inside a handler.
class DispatchingSubscriber final : public Subscriber {
 public:
  DispatchingSubscriber(std::size_t max_queued, MessageHandler on_message, EndHandler on_end);
  // Stops the thread after the handler call in progress, if any; messages still queued are dropped.
  ~DispatchingSubscriber() override;

  DispatchingSubscriber(const DispatchingSubscriber&) = delete;
  DispatchingSubscriber& operator=(const DispatchingSubscriber&) = delete;

  bool Deliver(const MessagePtr& message) override;
  void Close(const Status& reason) override;

  // From now on the handlers run, beginning with what has queued up meanwhile.
  void Start();

 private:
  void Dispatch();

  const std::size_t max_queued_;
  const MessageHandler on_message_;
  const EndHandler on_end_;

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<MessagePtr> queue_;       // guarded by mu_
  std::optional<Status> end_reason_;   // guarded by mu_: set by Close()
  bool started_ = false;               // guarded by mu_
  bool stopping_ = false;              // guarded by mu_
  std::thread thread_;                 // last: starts once the fields above are ready
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_EMBEDDING_DISPATCHING_SUBSCRIBER_H_
