// The room of one process: a Room (room/room.h) behind the RoomBackend seam. Every request is
// answered on the asking thread before it returns; nothing leaves the process. This is the
// server's backend unless it is told to share the room with other processes.
#ifndef CHAT_SRC_BACKEND_MEMORY_BACKEND_H_
#define CHAT_SRC_BACKEND_MEMORY_BACKEND_H_

#include <memory>

#include "backend/room_backend.h"
#include "common/deadline_timer.h"
#include "room/room.h"

namespace chat {

class MemoryBackend final : public RoomBackend {
 public:
  // A room with `options`; its on_deadline is the backend's own, which frees expired names on a
  // timer thread (Room::ExpireDeadlines), and is overwritten.
  explicit MemoryBackend(RoomOptions options);
  ~MemoryBackend() override;

  void Register(const Caller& caller, std::string_view name, Reply<Registration> reply) override;
  void Post(const Caller& caller, std::string_view claimed_name, std::string_view text,
            Reply<std::uint64_t> reply) override;
  void Subscribe(const Caller& caller, Subscriber* subscriber, ListenFrom from, Reply<std::size_t> reply) override;
  void Unsubscribe(Subscriber* subscriber) override;
  void Leave(const Caller& caller, Reply<std::string> reply) override;
  void History(const Caller& caller, std::uint64_t before_id, std::uint32_t limit,
               Reply<MessageHistory::Page> reply) override;
  void Usernames(const Caller& caller, Reply<std::vector<std::string>> reply) override;
  void ConnectionOpened(const std::string& peer) override;
  Status Observe(Subscriber* observer) override;
  void Unobserve(Subscriber* observer) override;
  Room::Stats stats() const override;
  void Close(const Status& reason) override;

 private:
  // Declared first and destroyed last: the timer's task and the room's on_deadline use both.
  std::unique_ptr<Room> room_;
  std::unique_ptr<DeadlineTimer> expiry_timer_;
};

}  // namespace chat

#endif  // CHAT_SRC_BACKEND_MEMORY_BACKEND_H_
