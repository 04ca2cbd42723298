#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

#include "chat/client.h"
#include "client/message_stream_impl.h"

namespace chat {

MessageHandler MessageStream::Impl::MessageSink() {
  return [this](const ChatMessage& message) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      messages_.push_back(message);
    }
    arrived_.notify_all();
  };
}

EndHandler MessageStream::Impl::EndSink() {
  return [this](const Status& reason) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ended_ = true;
      status_ = reason;
    }
    arrived_.notify_all();
  };
}

void MessageStream::Impl::Attach(std::unique_ptr<Subscription> subscription) {
  subscription_ = std::move(subscription);
}

std::optional<ChatMessage> MessageStream::Impl::Next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  arrived_.wait_for(lock, timeout, [this] { return !messages_.empty() || ended_; });
  if (messages_.empty()) return std::nullopt;
  ChatMessage message = std::move(messages_.front());
  messages_.pop_front();
  return message;
}

bool MessageStream::Impl::ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_ && messages_.empty();
}

Status MessageStream::Impl::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::size_t MessageStream::Impl::replayed() const { return subscription_->replayed(); }

MessageStream::MessageStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MessageStream::~MessageStream() = default;

std::optional<ChatMessage> MessageStream::Next(std::chrono::milliseconds timeout) { return impl_->Next(timeout); }
bool MessageStream::ended() const { return impl_->ended(); }
Status MessageStream::status() const { return impl_->status(); }
std::size_t MessageStream::replayed() const { return impl_->replayed(); }

}  // namespace chat
