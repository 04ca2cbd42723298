// The seam between the server's call objects and whatever keeps the room: its names, its sessions,
// the order and history of its messages, and the fan-out to the streams of this process. The
// call objects (server/calls/) and the embedding hooks talk to a RoomBackend only, and do not know
// which one runs: MemoryBackend (memory_backend.h), the room of one process, answers at once;
// a backend that shares the room with other processes answers once its store has.
//
// Every request names a Caller and ends in exactly one Reply: on the asking thread, before the
// request returns, or later on a thread of the backend's own. A reply must not block and must not
// call into the backend; call objects only store the answer and take it up on their own
// completion-queue thread (server/answer_relay.h). A request never blocks the asking thread on
// anything outside the process.
//
// The answers and their statuses are those of the Room (room/room.h), whose documentation they
// follow method by method; a backend that cannot reach its store answers UNAVAILABLE.
//
// Threading: every method may be called from any thread. Subscribers are called as the Room
// calls them (Subscriber in room/room.h): with the backend's lock held, never blocking.
#ifndef CHAT_SRC_BACKEND_ROOM_BACKEND_H_
#define CHAT_SRC_BACKEND_ROOM_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/message.h"
#include "chat/status.h"
#include "room/message_history.h"
#include "room/room.h"

namespace chat {

// The one answer to a request; see the top of this file for where it runs.
template <class T>
using Reply = std::function<void(Result<T>)>;

class RoomBackend {
 public:
  virtual ~RoomBackend() = default;

  // AddUser (Room::Register).
  virtual void Register(const Caller& caller, std::string_view name, Reply<Registration> reply) = 0;

  // SendMessage (Room::Post): the reply carries the message's id once the message is stored.
  virtual void Post(const Caller& caller, std::string_view claimed_name, std::string_view text,
                    Reply<std::uint64_t> reply) = 0;

  // Listen and Subscribe (Room::Subscribe): the reply carries how many messages were replayed.
  // The subscriber may be given its replay and live messages, or be closed, before the reply
  // comes. However the reply ends, the backend holds `subscriber` from the request until
  // Unsubscribe() returns or it called Close() on it, so a stream whose client went away while the
  // request was pending still calls Unsubscribe() (which does nothing for a refused one).
  virtual void Subscribe(const Caller& caller, Subscriber* subscriber, ListenFrom from,
                         Reply<std::size_t> reply) = 0;

  // Forgets `subscriber` (Room::Unsubscribe). Never waits for anything outside the process.
  virtual void Unsubscribe(Subscriber* subscriber) = 0;

  // Leave (Room::Leave): the reply carries a goodbye for the person.
  virtual void Leave(const Caller& caller, Reply<std::string> reply) = 0;

  // History (Room::History).
  virtual void History(const Caller& caller, std::uint64_t before_id, std::uint32_t limit,
                       Reply<MessageHistory::Page> reply) = 0;

  // ListUsers: the names of the whole room, sorted ignoring case; UNAUTHENTICATED for a token the
  // room does not know (Room::CheckSession, then Room::Usernames).
  virtual void Usernames(const Caller& caller, Reply<std::vector<std::string>> reply) = 0;

  // A connection from `peer` was accepted and none of its calls has come yet
  // (Room::ConnectionOpened): whoever `peer` named before is on a closed connection. Never waits
  // for anything outside the process.
  virtual void ConnectionOpened(const std::string& peer) = 0;

  // Every message the room sequences, direct ones included, for Server::Observe (Room::Observe).
  virtual Status Observe(Subscriber* observer) = 0;
  virtual void Unobserve(Subscriber* observer) = 0;

  // The room's counters as this process sees them.
  virtual Room::Stats stats() const = 0;

  // Tells `on_change` whenever the backend loses its store (false) or reaches it again (true), on a
  // thread of the backend's, with the backend's lock held: it must not call into the backend. A
  // backend without a store outside the process never calls it.
  virtual void WatchStore(std::function<void(bool reachable)> on_change) { (void)on_change; }

  // Closes every stream with `reason`, answers every request still pending with it, and refuses
  // all further requests with UNAVAILABLE. Once it returns no reply comes any more, so the server
  // calls it before it shuts its completion queues down.
  virtual void Close(const Status& reason) = 0;
};

}  // namespace chat

#endif  // CHAT_SRC_BACKEND_ROOM_BACKEND_H_
