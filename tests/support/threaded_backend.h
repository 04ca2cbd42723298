// A backend that answers from a thread of its own, as one that keeps the room in another process
// does: each request waits in a queue, a worker thread carries it out on a MemoryBackend, and the
// reply comes from the worker. Hold() keeps requests waiting until Release(), so that a test can
// look at a server while its answers are out.
#ifndef CHAT_TESTS_SUPPORT_THREADED_BACKEND_H_
#define CHAT_TESTS_SUPPORT_THREADED_BACKEND_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "backend/memory_backend.h"
#include "backend/room_backend.h"

namespace chat::testing {

class ThreadedBackend final : public RoomBackend {
 public:
  explicit ThreadedBackend(RoomOptions options);
  ~ThreadedBackend() override;

  // From now on requests wait until Release().
  void Hold();
  void Release();
  // Requests waiting, held or not yet taken by the worker.
  std::size_t waiting() const;

  void Register(const Caller& caller, std::string_view name, Reply<Registration> reply) override;
  void Post(const Caller& caller, std::string_view claimed_name, std::string_view text,
            Reply<std::uint64_t> reply) override;
  // A subscriber whose Unsubscribe() comes while its request waits is never subscribed; its reply
  // is CANCELLED.
  void Subscribe(const Caller& caller, Subscriber* subscriber, ListenFrom from, Reply<std::size_t> reply) override;
  void Unsubscribe(Subscriber* subscriber) override;
  void Leave(const Caller& caller, Reply<std::string> reply) override;
  void History(const Caller& caller, std::uint64_t before_id, std::uint32_t limit,
               Reply<MessageHistory::Page> reply) override;
  void Usernames(const Caller& caller, Reply<std::vector<std::string>> reply) override;
  // At once, not queued: the requests of the connection come after it either way.
  void ConnectionOpened(const std::string& peer) override { room_.ConnectionOpened(peer); }
  Status Observe(Subscriber* observer) override { return room_.Observe(observer); }
  void Unobserve(Subscriber* observer) override { room_.Unobserve(observer); }
  Room::Stats stats() const override { return room_.stats(); }
  // Answers every waiting request with `reason`, after the one the worker may be carrying out.
  void Close(const Status& reason) override;

 private:
  struct Request {
    std::function<void()> run;                      // on the worker
    std::function<void(const Status&)> refuse;     // instead of run, once closed
  };

  template <class T>
  void Enqueue(std::function<void(Reply<T>)> run, Reply<T> reply);
  void Work();

  MemoryBackend room_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Request> requests_;       // guarded by mu_
  bool held_ = false;                  // guarded by mu_
  bool closed_ = false;                // guarded by mu_
  bool running_ = false;               // the worker carries a request out; guarded by mu_
  bool stopping_ = false;              // guarded by mu_
  // Subscribers whose request waits, and those of them that were unsubscribed meanwhile. Guarded
  // by subscribe_mu_, which is held while the worker subscribes one, so that an Unsubscribe()
  // comes either before that (and cancels it) or after it (and reaches the room).
  std::mutex subscribe_mu_;
  std::set<const Subscriber*> pending_;
  std::set<const Subscriber*> cancelled_;
  std::thread worker_;  // last: starts once the fields it uses exist
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_THREADED_BACKEND_H_
