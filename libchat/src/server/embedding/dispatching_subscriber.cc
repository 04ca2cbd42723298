#include "server/embedding/dispatching_subscriber.h"

#include <utility>

namespace chat {

DispatchingSubscriber::DispatchingSubscriber(std::size_t max_queued, MessageHandler on_message, EndHandler on_end)
    : max_queued_(max_queued),
      on_message_(std::move(on_message)),
      on_end_(std::move(on_end)),
      thread_([this] { Dispatch(); }) {}

DispatchingSubscriber::~DispatchingSubscriber() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

bool DispatchingSubscriber::Deliver(const MessagePtr& message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (end_reason_) return true;
    if (queue_.size() >= max_queued_) return false;
    queue_.push_back(message);
  }
  changed_.notify_one();
  return true;
}

void DispatchingSubscriber::Close(const Status& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!end_reason_) end_reason_ = reason;
  }
  changed_.notify_one();
}

void DispatchingSubscriber::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = true;
  }
  changed_.notify_one();
}

void DispatchingSubscriber::Dispatch() {
  std::unique_lock<std::mutex> lock(mu_);
  bool told_end = false;
  while (true) {
    changed_.wait(lock, [&] {
      return stopping_ || (started_ && (!queue_.empty() || (end_reason_ && !told_end)));
    });
    if (stopping_) return;
    if (!queue_.empty()) {
      const MessagePtr message = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      if (on_message_) on_message_(*message);
      lock.lock();
      continue;
    }
    told_end = true;
    const Status reason = *end_reason_;
    lock.unlock();
    if (on_end_) on_end_(reason);
    lock.lock();
  }
}

}  // namespace chat
