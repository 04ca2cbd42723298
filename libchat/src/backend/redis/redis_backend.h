// The room shared by several server processes (nodes) through one Redis: every node keeps a Room of
// its own for what is its own (its participants, sessions, streams, buckets and caps), and Redis
// keeps what they share (room/room.h, "A shared room"):
//
// - The order: every message and notice is stored in the log (redis_log.h) first, under the next
//   id; every node, the sender's included, delivers to its own streams what it reads back, so all
//   see the same messages in the same order. SendMessage answers once the message is stored.
// - The names: PREFIX:names maps each folded name to "participant, node, name, claim" (fields
//   joined by 0x1F). A name is taken, changed or freed by a Lua script that checks the owner and
//   stores the notice in the log in the same atomic step, so a name has one owner across all nodes
//   and its notice appears once. Each node mirrors the others' names from the notices it reads.
//   The claim script also counts the names of each source address on all nodes together
//   (PREFIX:address-names:SOURCE, and PREFIX:name-sources to find a name's source when it goes), so
//   that a client cannot hold more names by spreading its connections over the nodes. The other
//   per-address limits (streams, connections, rates) guard each node's own resources, per node.
// - The nodes: a node is alive while its lease PREFIX:node:NODE exists; it renews it every tick.
//   On every tick every node also frees the names of nodes whose lease is gone (PREFIX:nodes lists
//   the nodes, PREFIX:node-names:NODE the names each holds), storing a leave notice for each, once.
//   A node stopped cleanly leaves its lease to run out, so that its clients with a session have
//   that long to resume on another node before their names are freed.
//
// Participant numbers are the node's number (PREFIX:node-numbers, taken once at start) times 2^32
// plus the Room's own count, so a number names one participant in every node's history.
//
// - The sessions: a name's value ends with its session's token, and PREFIX:sessions maps each
//   session's key to its name. A stream that presents a token this node does not know asks Redis
//   to move the session here (its name with it), so a client whose node went away resumes on
//   another under the same name; its replay comes from this node's history, once the node has
//   read the log as far as Redis had stored when the session moved.
//
// Threading: as RoomBackend. Replies come on the log's writer thread (Redis's answers), the room's
// deliveries on its reader thread, the lease and the sweeps on a timer thread of the backend's.
// Lock order: Room::mu_, then mu_ here, then a RedisConnection's.
#ifndef CHAT_SRC_BACKEND_REDIS_REDIS_BACKEND_H_
#define CHAT_SRC_BACKEND_REDIS_REDIS_BACKEND_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/redis/redis_log.h"
#include "backend/room_backend.h"
#include "common/deadline_timer.h"
#include "room/room.h"

namespace chat {

struct RedisBackendOptions {
  RedisEndpoint endpoint;
  std::string prefix = "chat";
  std::string node_name;  // unique among the nodes alive
  // How long a node counts as alive after it last renewed its lease, and how often each node
  // renews its own and frees the names of nodes whose lease ran out.
  std::chrono::milliseconds lease{10000};
  std::chrono::milliseconds tick{1000};
  std::size_t log_entries = 10000;  // kept in Redis (XADD MAXLEN ~)
  RedisConnectionOptions connection;  // its endpoint is set from `endpoint`
};

class RedisBackend final : public RoomBackend, private RoomLedger {
 public:
  // Joins the room in Redis: takes the node's number and lease, reads the names held and the last
  // id, and starts reading the log after it. Waits for Redis (at most a few of the connection's
  // timeouts): UNAVAILABLE when it cannot be reached, ALREADY_EXISTS when a node of that name is
  // alive. `room`'s participant_base, first_id, ledger and on_deadline are the backend's own.
  static Result<std::unique_ptr<RedisBackend>> Open(RoomOptions room, RedisBackendOptions options);
  ~RedisBackend() override;

  void Register(const Caller& caller, std::string_view name, Reply<Registration> reply) override;
  void Post(const Caller& caller, std::string_view claimed_name, std::string_view text,
            Reply<std::uint64_t> reply) override;
  void Subscribe(const Caller& caller, Subscriber* subscriber, ListenFrom from, Reply<std::size_t> reply) override;
  void Unsubscribe(Subscriber* subscriber) override;
  void Leave(const Caller& caller, Reply<std::string> reply) override;
  void History(const Caller& caller, std::uint64_t before_id, std::uint32_t limit,
               Reply<MessageHistory::Page> reply) override;
  void Usernames(const Caller& caller, Reply<std::vector<std::string>> reply) override;
  // Only this node's participants are known by peer: nothing in Redis changes.
  void ConnectionOpened(const std::string& peer) override;
  Status Observe(Subscriber* observer) override;
  void Unobserve(Subscriber* observer) override;
  Room::Stats stats() const override;
  void WatchStore(std::function<void(bool reachable)> on_change) override;
  void Close(const Status& reason) override;

 private:
  // What this node stored for a name it holds, which a release must find unchanged.
  struct Claim {
    std::string folded;
    std::string value;
    std::string session_key;
  };
  struct PendingRelease {
    std::string folded;
    std::string value;
    std::string notice;
    std::string session_key;
  };
  // A stream that cannot be subscribed yet, so that its replay misses nothing: its session is being
  // moved here from another node, or it asks for what follows an id this node has not read yet
  // (the client heard of it from another node, or from its own SendMessage's answer). Subscribed
  // once this node has read the log as far as `read_to`: what Redis had stored when it moved the
  // session, or that id once Redis said it was given.
  struct HeldStream {
    Subscriber* subscriber;  // null once the stream ended (and was answered)
    Caller caller;
    ListenFrom from;
    Reply<std::size_t> reply;
    std::optional<std::uint64_t> read_to;  // set once it is known
    std::string source;                    // SourceAddress of the caller's peer
  };

  explicit RedisBackend(RedisBackendOptions options);

  // RoomLedger.
  void Release(std::uint64_t participant, const std::string& folded, ChatMessage leave) override;

  void SendRelease(PendingRelease release);
  // Holds `subscriber` back as request number N (returned) until SubscribeHeldReadFarEnough takes it up; or,
  // when its source address or the node holds back as many streams as they may (the limits on
  // streams, counted apart from the room's subscribed ones), answers RESOURCE_EXHAUSTED through
  // `reply` and returns nullopt.
  std::optional<std::uint64_t> HoldBack(const Caller& caller, Subscriber* subscriber, ListenFrom from,
                                        Reply<std::size_t>& reply);
  // Erases `held` from held_, and counts it off its source's; returns the entry after it.
  std::unordered_map<std::uint64_t, HeldStream>::iterator ForgetHeldLocked(
      std::unordered_map<std::uint64_t, HeldStream>::iterator held);
  // Sets request `request`'s read_to, and subscribes it if this node has read that far.
  void WaitUntilRead(std::uint64_t request, std::uint64_t read_to);
  // Redis's answer to "which id was given last", for request `request`, which asks for what follows
  // `after_id`.
  void OnLastId(std::uint64_t request, std::uint64_t after_id, Result<RedisValue> answer);
  // Redis's answer to the move of request `request`'s session.
  void OnResume(std::uint64_t request, Result<RedisValue> answer);
  // Subscribes the held streams this node has read far enough for (HeldStream::read_to).
  void SubscribeHeldReadFarEnough();
  // Answers request `request`, unless its stream ended, and forgets it.
  void EndHeld(std::uint64_t request, const Status& status);
  // Claims `claim` for `participant`, and returns the one it replaces.
  std::optional<Claim> SwapClaim(std::uint64_t participant, std::optional<Claim> claim);
  // Takes up what the log handed over; `gap` when ids between entries were not there to read (trimmed
  // before this node read them, or lost with Redis's data): the streams then get a kGap first.
  void OnEntries(std::vector<RedisLogEntry> entries, bool gap);
  void OnStoreHealth(const Status& status);
  // Renews the lease, frees the names of dead nodes, and sends the releases that failed again.
  void Tick();
  // An answer for a request whose reply came after Close(): the reason it was given.
  Status ClosedOr(const Status& status) const;

  const RedisBackendOptions options_;
  const std::string names_key_;
  const std::string nodes_key_;
  const std::string lease_key_;
  const std::string node_names_key_;
  const std::string sessions_key_;
  // RoomOptions' limits that Redis checks for all nodes together.
  std::size_t room_max_users_ = 0;
  std::size_t room_max_names_per_address_ = 0;
  // And those that bound the streams held back here (HoldBack), on this node.
  std::size_t room_max_streams_ = 0;
  std::size_t room_max_streams_per_address_ = 0;
  std::unique_ptr<RedisLog> log_;
  std::unique_ptr<Room> room_;
  std::unique_ptr<DeadlineTimer> expiry_timer_;  // the room's deadlines
  std::unique_ptr<DeadlineTimer> tick_timer_;

  // Held across each step that puts a waiting stream into the room or takes one out (Unsubscribe),
  // so that a stream that ended is never subscribed. Lock order: held_mu_, then Room::mu_.
  mutable std::mutex held_mu_;
  // By request: a stream's pointer may be reused by another once it ended, a request's number never.
  std::unordered_map<std::uint64_t, HeldStream> held_;  // guarded by held_mu_
  std::uint64_t last_request_ = 0;  // guarded by held_mu_
  std::unordered_map<std::string, std::size_t> held_by_source_;  // held_ by source; guarded by held_mu_

  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, Claim> claims_;  // by participant; guarded by mu_
  std::vector<PendingRelease> retries_;              // guarded by mu_
  std::uint64_t last_claim_ = 0;                     // guarded by mu_
  std::function<void(bool)> on_store_change_;        // guarded by mu_
  bool store_reachable_ = true;                      // guarded by mu_
  Status close_reason_;                              // guarded by mu_
  std::atomic<bool> closed_{false};
};

}  // namespace chat

#endif  // CHAT_SRC_BACKEND_REDIS_REDIS_BACKEND_H_
