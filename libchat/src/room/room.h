// The room: who is here, under which name, on which connection, and who receives what.
//
// Pure logic: no gRPC. The server's call objects translate RPCs into Room calls, and Listen streams
// take part as Subscribers, so tests drive a Room with fake subscribers and a fake clock.
//
// Threading: every public method may be called from any thread. One mutex, mu_, guards all state.
// Subscriber::Deliver and Subscriber::Close are called with mu_ held; that is what gives every
// subscriber the same order. Lock order is Room::mu_ before any subscriber's own lock, so a
// subscriber must never call into the Room from Deliver or Close.
#ifndef CHAT_SRC_ROOM_ROOM_H_
#define CHAT_SRC_ROOM_ROOM_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chat/message.h"
#include "chat/status.h"
#include "room/token_bucket.h"

namespace chat {

using SteadyTime = std::chrono::steady_clock::time_point;

// A message's encoding for the subscribers' transport (RoomOptions::encode), made once and sent by
// every stream. The transport defines it (wire/wire.h); the room only carries it, so it never sees
// the definition, and the streams that send it need no cast.
class WireMessage;

// A message the room has sequenced, shared by every queue it sits in until the last subscriber has
// sent it.
struct SequencedMessage : ChatMessage {
  SteadyTime accepted_at;                // RoomOptions::steady_now when it was sequenced
  // Null without RoomOptions::encode. A shared_ptr, whose deleter is made where WireMessage is
  // defined, so that the room can free one without its definition.
  std::shared_ptr<const WireMessage> wire;
};
using MessagePtr = std::shared_ptr<const SequencedMessage>;

// One Listen stream, as the room sees it.
class Subscriber {
 public:
  virtual ~Subscriber() = default;

  // Queues `message` for delivery. Returns false when the subscriber cannot take it (its queue is
  // full, or it has fallen too far behind); the room then evicts it. Called with the room's lock
  // held: must not block.
  virtual bool Deliver(const MessagePtr& message) = 0;

  // Ends the stream with `reason` (RESOURCE_EXHAUSTED on eviction, UNAVAILABLE on shutdown). Called
  // at most once, with the room's lock held; afterwards the room holds no reference to the
  // subscriber.
  virtual void Close(const Status& reason) = 0;
};

struct RoomOptions {
  std::size_t max_text_bytes = 4096;
  std::size_t max_users = 20000;
  // Flood control per connection: messages (and renames) per second, and the burst allowed above
  // that rate. A rate of 0 turns it off.
  double max_rate = 10;
  double max_burst = 20;

  // Limits per source address (source_address.h): what one host may send into the room and hold
  // there, however many connections and names it goes through. The buckets of a source that holds
  // nothing are kept until they are full again, so leaving and coming back gives nothing back.
  // Messages per second from all its connections together, and the burst; 0 turns it off.
  double max_address_rate = 20;
  double max_address_burst = 40;
  // Names taken or changed per second (each one is announced to the room), and the burst; 0 turns
  // it off.
  double max_registration_rate = 1;
  double max_registration_burst = 10;
  std::size_t max_names_per_address = 16;

  // Listen streams: in total, per source address, and per connection.
  std::size_t max_streams = 20000;
  std::size_t max_streams_per_address = 64;
  std::size_t max_streams_per_connection = 16;

  // How long a name stays bound to a connection that has not opened Listen.
  std::chrono::milliseconds registration_grace{30000};

  // Called with the room's lock held whenever a deadline is set (a name waiting for its stream, a
  // flood-control bucket to forget), so that a timer can call ExpireDeadlines() in time. Must not
  // call into the Room.
  std::function<void(SteadyTime deadline)> on_deadline;

  // Encodes a sequenced message for the subscribers' transport, once per message, with the room's
  // lock held. Without it, SequencedMessage::wire stays null.
  std::function<std::shared_ptr<const WireMessage>(const ChatMessage& message)> encode;

  // Time sources; tests replace them.
  std::function<SteadyTime()> steady_now = [] { return std::chrono::steady_clock::now(); };
  std::function<std::chrono::system_clock::time_point()> system_now = [] {
    return std::chrono::system_clock::now();
  };
};

class Room {
 public:
  explicit Room(RoomOptions options);

  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  // AddUser: binds `name` to the connection `peer`, announcing a join (or, when the peer had
  // another name, a rename that frees the old one). Returns kAdded, kTaken or kInvalid with a
  // sentence for the person; RESOURCE_EXHAUSTED when the room is full, the peer's source address
  // holds max_names_per_address names, or the peer or its source takes names faster than its
  // bucket allows, and also when the announcement overflowed the peer's own last stream, which is
  // then evicted and the name freed again; UNAVAILABLE once closed.
  Result<Registration> Register(const std::string& peer, std::string_view name);

  // SendMessage: accepts `text` from the user bound to `peer` and routes it: "@name text" to the
  // sender and that user, anything else to every subscriber. `claimed_name`, when not empty, must
  // be the sender's own name. Returns the message's room sequence number, or:
  // FAILED_PRECONDITION (no name bound), PERMISSION_DENIED (claimed another name),
  // RESOURCE_EXHAUSTED (over the flood limit), INVALID_ARGUMENT (text or mention malformed),
  // NOT_FOUND (no such recipient), UNAVAILABLE. Flood control counts the sender's connection and
  // its source address.
  Result<std::uint64_t> Post(const std::string& peer, std::string_view claimed_name, std::string_view text);

  // Listen: from now on `subscriber` receives every broadcast and every direct message to or from
  // the name bound to `peer` (peers may listen before registering). A peer may have several
  // streams; each gets all of it. RESOURCE_EXHAUSTED when the connection, its source address or
  // the room already has as many streams as it may; UNAVAILABLE once closed. `subscriber` must
  // stay valid until Unsubscribe() returns or Close() was called on it.
  Status Subscribe(const std::string& peer, Subscriber* subscriber);

  // The stream `subscriber` of `peer` has ended: forget it, and when it was the peer's last, free
  // the peer's name. Does nothing unless `subscriber` is one of the peer's streams (it may have
  // been evicted already). Constant time, whatever the number of streams.
  void Unsubscribe(const std::string& peer, Subscriber* subscriber);

  // From now on `observer` receives every message the room sequences, direct messages included
  // (Server::Observe). UNAVAILABLE once closed. Like a subscriber, it is evicted when it cannot take
  // a message, and must stay valid until Unobserve() returns or Close() was called on it.
  Status Observe(Subscriber* observer);
  void Unobserve(Subscriber* observer);

  // The registered names, sorted ignoring case. UNAVAILABLE once closed: the names of a room that
  // is shutting down are no longer anybody's to see.
  Result<std::vector<std::string>> Usernames() const;

  // Frees every name whose connection has not opened Listen within the grace period, and forgets
  // the flood-control buckets of connections and sources that hold nothing and are full again.
  // Returns when to call again (the earliest deadline still set), or nullopt when none is set.
  std::optional<SteadyTime> ExpireDeadlines();

  struct Stats {
    std::size_t users = 0;
    std::size_t subscribers = 0;
    std::size_t peers = 0;    // connections remembered: holding a name or a stream, or a bucket not yet full
    std::size_t sources = 0;  // source addresses remembered, likewise
    std::uint64_t messages = 0;  // chat and direct messages accepted
    std::uint64_t evictions = 0;
  };
  Stats stats() const;

  // Closes every stream with `reason` and refuses all further calls with UNAVAILABLE.
  void Close(const Status& reason);

 private:
  // One connection the room has heard from. Kept while it has a name or a stream, and then until
  // its bucket is full again.
  struct Peer {
    std::string source;                         // SourceAddress() of the peer
    std::string folded_name;                    // empty while it has no name
    std::vector<Subscriber*> subscribers;       // its Listen streams
    std::optional<SteadyTime> listen_deadline;  // set while it has a name but no stream
    TokenBucket sends;                          // messages and renames
  };
  // One source address the room has heard from. Kept while a Peer of it is, and then until its
  // buckets are full again.
  struct Source {
    std::size_t peers = 0;    // Peer entries of this source
    std::size_t names = 0;    // names its peers hold
    std::size_t streams = 0;  // streams its peers hold
    TokenBucket sends;          // messages, all its peers together
    TokenBucket registrations;  // names taken or changed
  };
  // One registered name.
  struct Member {
    std::string name;  // as registered: the case the user chose
    std::string peer;
  };
  // One open stream. listeners_ is in no particular order: dropping one moves the last into its
  // place, and listener_index_ follows.
  struct Listener {
    Subscriber* subscriber;
    std::string peer;
  };

  // The entry of `peer`, made (with full buckets) if there is none.
  Peer& PeerLocked(const std::string& peer);
  MessagePtr SequenceLocked(ChatMessage message);
  std::uint64_t BroadcastLocked(ChatMessage message);  // returns the message id
  void DeliverLocked(const MessagePtr& message, Subscriber* subscriber);
  // Evicts every subscriber whose Deliver() failed. Runs only at the end of a public method, once
  // its answer is known, so that no reference into members_ or peers_ is held across an eviction
  // (which frees names and forgets peers).
  void EvictOverflowingLocked();
  void BindNameLocked(const std::string& peer, Peer& state, std::string_view name);
  // A name change, announced; the caller has taken the tokens.
  void RenameLocked(const std::string& peer, Member& member, std::string_view new_name);
  Status TakeSendTokenLocked(Peer& state, std::string_view what);
  Status TakeSourceTokenLocked(TokenBucket& bucket, double rate, double burst, std::string_view what);
  void ReleaseNameLocked(Peer& state, std::string_view why);
  // Forgets `peer` if it holds nothing, once its bucket is full again (a sweep is set till then).
  void ForgetPeerIfUnusedLocked(const std::string& peer);
  void ForgetSourceIfUnusedLocked(const std::string& source);
  void SetDeadlineLocked(SteadyTime deadline);
  // Forgets the open stream at `index` of listeners_; frees its peer's name, saying `why`, if it
  // was the last. Every stream is in listeners_, listener_index_ and its peer's subscribers, or in
  // none of them.
  void DropStreamLocked(std::size_t index, std::string_view why);

  const RoomOptions options_;

  mutable std::mutex mu_;
  bool closed_ = false;
  std::uint64_t last_id_ = 0;
  std::unordered_map<std::string, Peer> peers_;      // by peer string
  std::unordered_map<std::string, Source> sources_;  // by SourceAddress()
  std::unordered_map<std::string, Member> members_;  // by folded name
  std::vector<Listener> listeners_;
  std::unordered_map<const Subscriber*, std::size_t> listener_index_;  // position in listeners_
  std::vector<Subscriber*> observers_;
  // Peers by the deadline for opening Listen. Entries are not removed when a peer listens or goes;
  // ExpireDeadlines() skips those that no longer match the peer's listen_deadline.
  std::multimap<SteadyTime, std::string> deadlines_;
  // Peers and sources that held nothing when they were last let go, by when their buckets are full;
  // ExpireDeadlines() forgets those that still hold nothing.
  std::multimap<SteadyTime, std::string> peer_sweeps_;
  std::multimap<SteadyTime, std::string> source_sweeps_;
  // Subscribers whose Deliver() returned false during the current operation, evicted at its end.
  std::vector<Subscriber*> overflowing_;
  bool evicting_ = false;
  std::uint64_t messages_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace chat

#endif  // CHAT_SRC_ROOM_ROOM_H_
