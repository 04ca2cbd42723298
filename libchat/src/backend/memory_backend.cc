#include "backend/memory_backend.h"

#include <utility>

namespace chat {

MemoryBackend::MemoryBackend(RoomOptions options) {
  // The timer runs its task only once the room asked it to (RunBy, from a room's method), so the
  // room exists by then.
  expiry_timer_ = std::make_unique<DeadlineTimer>([this] { return room_->ExpireDeadlines(); });
  options.on_deadline = [this](SteadyTime deadline) { expiry_timer_->RunBy(deadline); };
  room_ = std::make_unique<Room>(std::move(options));
}

// The timer goes first: its task reads room_.
MemoryBackend::~MemoryBackend() {
  expiry_timer_->Stop();  // first: its task reaches expiry_timer_ through the room's on_deadline
  expiry_timer_.reset();
}

void MemoryBackend::Register(const Caller& caller, std::string_view name, Reply<Registration> reply) {
  reply(room_->Register(caller, name));
}

void MemoryBackend::Post(const Caller& caller, std::string_view claimed_name, std::string_view text,
                         Reply<std::uint64_t> reply) {
  reply(room_->Post(caller, claimed_name, text));
}

void MemoryBackend::Subscribe(const Caller& caller, Subscriber* subscriber, ListenFrom from,
                              Reply<std::size_t> reply) {
  reply(room_->Subscribe(caller, subscriber, from));
}

void MemoryBackend::Unsubscribe(Subscriber* subscriber) { room_->Unsubscribe(subscriber); }

void MemoryBackend::Leave(const Caller& caller, Reply<std::string> reply) { reply(room_->Leave(caller)); }

void MemoryBackend::History(const Caller& caller, std::uint64_t before_id, std::uint32_t limit,
                            Reply<MessageHistory::Page> reply) {
  reply(room_->History(caller, before_id, limit));
}

void MemoryBackend::Usernames(const Caller& caller, Reply<std::vector<std::string>> reply) {
  if (Status session = room_->CheckSession(caller); !session.ok()) {
    reply(session);
    return;
  }
  reply(room_->Usernames());
}

void MemoryBackend::ConnectionOpened(const std::string& peer) { room_->ConnectionOpened(peer); }

Status MemoryBackend::Observe(Subscriber* observer) { return room_->Observe(observer); }

void MemoryBackend::Unobserve(Subscriber* observer) { room_->Unobserve(observer); }

Room::Stats MemoryBackend::stats() const { return room_->stats(); }

void MemoryBackend::Close(const Status& reason) { room_->Close(reason); }

}  // namespace chat
