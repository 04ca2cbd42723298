#include "support/threaded_backend.h"

#include <string>
#include <utility>

namespace chat::testing {

ThreadedBackend::ThreadedBackend(RoomOptions options) : room_(std::move(options)), worker_([this] { Work(); }) {}

ThreadedBackend::~ThreadedBackend() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void ThreadedBackend::Hold() {
  std::lock_guard<std::mutex> lock(mu_);
  held_ = true;
}

void ThreadedBackend::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
  }
  changed_.notify_all();
}

std::size_t ThreadedBackend::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

template <class T>
void ThreadedBackend::Enqueue(std::function<void(Reply<T>)> run, Reply<T> reply) {
  auto shared_reply = std::make_shared<Reply<T>>(std::move(reply));
  Request request{[run = std::move(run), shared_reply] { run(*shared_reply); },
                  [shared_reply](const Status& reason) { (*shared_reply)(reason); }};
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!closed_) {
      requests_.push_back(std::move(request));
      lock.unlock();
      changed_.notify_all();
      return;
    }
  }
  request.refuse(Status(StatusCode::kUnavailable, "the room is closed"));
}

void ThreadedBackend::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || (!held_ && !requests_.empty()); });
    if (stopping_) return;
    Request request = std::move(requests_.front());
    requests_.pop_front();
    running_ = true;
    lock.unlock();
    request.run();
    lock.lock();
    running_ = false;
    changed_.notify_all();
  }
}

void ThreadedBackend::Close(const Status& reason) {
  std::deque<Request> refused;
  {
    std::unique_lock<std::mutex> lock(mu_);
    closed_ = true;
    refused.swap(requests_);
    changed_.wait(lock, [this] { return !running_; });
  }
  for (Request& request : refused) request.refuse(reason);
  {
    std::lock_guard<std::mutex> lock(subscribe_mu_);  // none of them will be subscribed now
    pending_.clear();
    cancelled_.clear();
  }
  room_.Close(reason);
}

void ThreadedBackend::Register(const Caller& caller, std::string_view name, Reply<Registration> reply) {
  Enqueue<Registration>([this, caller, name = std::string(name)](Reply<Registration> done) {
    room_.Register(caller, name, std::move(done));
  }, std::move(reply));
}

void ThreadedBackend::Post(const Caller& caller, std::string_view claimed_name, std::string_view text,
                           Reply<std::uint64_t> reply) {
  Enqueue<std::uint64_t>(
      [this, caller, claimed = std::string(claimed_name), text = std::string(text)](Reply<std::uint64_t> done) {
        room_.Post(caller, claimed, text, std::move(done));
      },
      std::move(reply));
}

void ThreadedBackend::Subscribe(const Caller& caller, Subscriber* subscriber, ListenFrom from,
                                Reply<std::size_t> reply) {
  {
    std::lock_guard<std::mutex> lock(subscribe_mu_);
    pending_.insert(subscriber);
  }
  Enqueue<std::size_t>(
      [this, caller, subscriber, from](Reply<std::size_t> done) {
        std::lock_guard<std::mutex> lock(subscribe_mu_);
        pending_.erase(subscriber);
        if (cancelled_.erase(subscriber) > 0) {
          done(Status(StatusCode::kCancelled, "the stream ended before it was subscribed"));
          return;
        }
        room_.Subscribe(caller, subscriber, from, std::move(done));
      },
      std::move(reply));
}

void ThreadedBackend::Unsubscribe(Subscriber* subscriber) {
  std::lock_guard<std::mutex> lock(subscribe_mu_);
  if (pending_.count(subscriber) > 0) {
    cancelled_.insert(subscriber);
    return;
  }
  room_.Unsubscribe(subscriber);
}

void ThreadedBackend::Leave(const Caller& caller, Reply<std::string> reply) {
  Enqueue<std::string>([this, caller](Reply<std::string> done) { room_.Leave(caller, std::move(done)); },
                       std::move(reply));
}

void ThreadedBackend::History(const Caller& caller, std::uint64_t before_id, std::uint32_t limit,
                              Reply<MessageHistory::Page> reply) {
  Enqueue<MessageHistory::Page>(
      [this, caller, before_id, limit](Reply<MessageHistory::Page> done) {
        room_.History(caller, before_id, limit, std::move(done));
      },
      std::move(reply));
}

void ThreadedBackend::Usernames(const Caller& caller, Reply<std::vector<std::string>> reply) {
  Enqueue<std::vector<std::string>>(
      [this, caller](Reply<std::vector<std::string>> done) { room_.Usernames(caller, std::move(done)); },
      std::move(reply));
}

}  // namespace chat::testing
