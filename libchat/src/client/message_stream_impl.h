#ifndef CHAT_SRC_CLIENT_MESSAGE_STREAM_IMPL_H_
#define CHAT_SRC_CLIENT_MESSAGE_STREAM_IMPL_H_

#include <chrono>
#include <cstddef>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "chat/client.h"

namespace chat {

// A queue fed by a Subscription's handlers and drained by Next().
//
// Threading: the sinks run on the subscription's handler threads, the rest on the owner's; mu_
// guards the queue and the end state. subscription_ is set once, before the owner gets this.
class MessageStream::Impl {
 public:
  // Handlers that feed this queue; valid as long as this object.
  MessageHandler MessageSink();
  EndHandler EndSink();

  // Takes ownership of the subscription that calls the sinks.
  void Attach(std::unique_ptr<Subscription> subscription);

  std::optional<ChatMessage> Next(std::chrono::milliseconds timeout);
  bool ended() const;
  Status status() const;
  std::size_t replayed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable arrived_;
  std::deque<ChatMessage> messages_;
  bool ended_ = false;
  Status status_;
  // Declared last so it is destroyed first: its handlers stop before the queue goes away.
  std::unique_ptr<Subscription> subscription_;
};

}  // namespace chat

#endif  // CHAT_SRC_CLIENT_MESSAGE_STREAM_IMPL_H_
