// The room: who is here, under which name, on which connection or session, who receives what, and
// what it said lately.
//
// A participant is whoever a call comes from: a session, when the call presents its token
// (Caller::session), or else the connection (Caller::peer), as the workshop's protocol knows it.
// Each participant has a number that is never reused; the history replays a direct message only to
// the two participants it was between.
//
// Pure logic: no gRPC. The server's call objects translate RPCs into Room calls, and Listen streams
// take part as Subscribers, so tests drive a Room with fake subscribers and a fake clock.
//
// A room may be shared with rooms of other processes (RoomOptions::ledger, and "A shared room"
// below): then the names and the order are decided by the ledger they share, and this room keeps
// what is its own (its participants, sessions, streams, buckets and caps) and a copy of the rest.
//
// Threading: every public method may be called from any thread. One mutex, mu_, guards all state.
// Subscriber::Deliver and Subscriber::Close are called with mu_ held; that is what gives every
// subscriber the same order. Lock order is Room::mu_ before any subscriber's own lock, so a
// subscriber must never call into the Room from Deliver or Close.
#ifndef CHAT_SRC_ROOM_ROOM_H_
#define CHAT_SRC_ROOM_ROOM_H_

#include <array>
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
#include <utility>
#include <vector>

#include "chat/message.h"
#include "chat/status.h"
#include "room/message_history.h"
#include "room/sequenced_message.h"
#include "room/session_token.h"
#include "room/token_bucket.h"

namespace chat {

// Who a call comes from.
struct Caller {
  Caller(std::string peer_address) : peer(std::move(peer_address)) {}  // NOLINT: a peer is a caller
  Caller(const char* peer_address) : peer(peer_address) {}              // NOLINT
  Caller(std::string peer_address, std::optional<std::string> session_token)
      : peer(std::move(peer_address)), session(std::move(session_token)) {}

  std::string peer;                    // the connection (grpc::ServerContext::peer())
  std::optional<std::string> session;  // the token the call presented, if it presented one
};

// Where a stream starts (ListenRequest). Both zero: with the next live message.
struct ListenFrom {
  std::uint64_t after_id = 0;  // replay what the caller may see after this id
  std::uint32_t history = 0;   // replay the caller's last `history` messages
};

// The most a stream may ask to be replayed (ListenFrom::history) or a History page may hold.
inline constexpr std::uint32_t kMaxHistoryRequest = 500;

// The answer to a stream that asks to start after an id no message has had yet: OUT_OF_RANGE,
// naming the latest id there is. One text for every backend.
Status AfterIdBeyondLatest(std::uint64_t after_id, std::uint64_t last_id);

// One Listen stream, as the room sees it.
class Subscriber {
 public:
  virtual ~Subscriber() = default;

  // Queues `message` for delivery. Returns false when the subscriber cannot take it (its queue is
  // full, or it has fallen too far behind); the room then evicts it. Called with the room's lock
  // held: must not block.
  virtual bool Deliver(const MessagePtr& message) = 0;

  // Queues `messages`, the replay a stream asked for (ListenFrom), ahead of every live message.
  // Called once, by Subscribe, before any Deliver. Replays are as long as the history they come
  // from, so a subscriber does not count them against the queue it keeps for live messages; this
  // default, for subscribers that keep one queue, delivers them one by one.
  virtual bool Replay(const std::vector<MessagePtr>& messages) {
    for (const MessagePtr& message : messages) {
      if (!Deliver(message)) return false;
    }
    return true;
  }

  // Ends the stream with `reason` (RESOURCE_EXHAUSTED on eviction, UNAVAILABLE on shutdown, OK when
  // its participant left). Called at most once, with the room's lock held; afterwards the room
  // holds no reference to the subscriber.
  virtual void Close(const Status& reason) = 0;
};

// The part of a room that several processes share (a room kept in Redis:
// backend/redis/redis_backend.h). With a ledger the room does not sequence anything itself: a new
// name is granted by the ledger first (PlanRegister, then BindClaimed), a message goes to the ledger
// (CheckPost), a freed name is handed to Release, and the room delivers and keeps only what the
// ledger sequenced and hands back (Accept), the notices of its own names included.
class RoomLedger {
 public:
  virtual ~RoomLedger() = default;
  // `participant` gave up its name `folded`: free it there and sequence `leave`. Called with the
  // room's lock held: must not block and must not call into the room.
  virtual void Release(std::uint64_t participant, const std::string& folded, ChatMessage leave) = 0;
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
  // How long a session keeps its name once it has no stream left (a lost connection): until then
  // only its token gets the name back. Counted from the end of its last stream; calls do not renew
  // it, so a hold is one timer per held name.
  std::chrono::milliseconds session_hold{120000};

  // The kept history (message_history.h): at most this many messages, and this many bytes.
  std::size_t history_messages = 10000;
  std::size_t history_bytes = 64 * 1024 * 1024;
  // The id of the first message. A server passes one above every id it issued before (server.cc).
  std::uint64_t first_id = 1;

  // Participant numbers begin above this. The rooms that share a ledger take ranges of their own,
  // so that a number names one participant across all of them.
  std::uint64_t participant_base = 0;
  // The ledger of a shared room; null for a room of its own. Must outlive the room.
  RoomLedger* ledger = nullptr;

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

// The number of MessageKind values, for counts indexed by kind.
inline constexpr std::size_t kMessageKinds = static_cast<std::size_t>(MessageKind::kGap) + 1;

class Room {
 public:
  explicit Room(RoomOptions options);

  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  // Every call below that names a Caller answers UNAUTHENTICATED when the caller presented a
  // session token the room does not know (never issued, or its session ended), and UNAVAILABLE once
  // the room is closed.

  // AddUser: binds `name` to the caller, announcing a join (or, when it had another name, a rename
  // that frees the old one), and answers kAdded with the caller's session token; a caller without
  // one gets a new session. Returns kAdded, kTaken or kInvalid with a sentence for the person;
  // RESOURCE_EXHAUSTED when the room is full, the caller's source address holds
  // max_names_per_address names, or the caller or its source takes names faster than its bucket
  // allows, and also when the announcement overflowed the caller's own last stream, which is then
  // evicted and the name freed again.
  Result<Registration> Register(const Caller& caller, std::string_view name);

  // SendMessage: accepts `text` from the caller's name and routes it: "@name text" to the sender
  // and that user, anything else to every subscriber. `claimed_name`, when not empty, must be the
  // sender's own name. Returns the message's room sequence number, or: FAILED_PRECONDITION (no
  // name), PERMISSION_DENIED (claimed another name), RESOURCE_EXHAUSTED (over the flood limit),
  // INVALID_ARGUMENT (text or mention malformed), NOT_FOUND (no such recipient). Flood control
  // counts the sender and its source address.
  Result<std::uint64_t> Post(const Caller& caller, std::string_view claimed_name, std::string_view text);

  // Listen: `subscriber` first gets what `from` asks to replay (Subscriber::Replay), then every
  // broadcast and every direct message to or from the caller, with nothing missed or repeated
  // between the two. Returns how many messages were replayed (a kGap included). Callers may listen
  // before registering, and more than once; each stream gets all of it. INVALID_ARGUMENT when
  // `from.history` is above kMaxHistoryRequest or both fields are set, OUT_OF_RANGE when
  // `from.after_id` is above the last id issued, RESOURCE_EXHAUSTED when the caller, its source
  // address or the room already has as many streams as it may. `subscriber` must stay valid until
  // Unsubscribe() returns or Close() was called on it.
  Result<std::size_t> Subscribe(const Caller& caller, Subscriber* subscriber, ListenFrom from = {});

  // The stream `subscriber` has ended: forget it. When it was its participant's last, a session's
  // name is held for session_hold, and a connection's is freed. Does nothing unless the room still
  // holds `subscriber` (it may have been evicted already). Constant time, whatever the number of
  // streams.
  void Unsubscribe(Subscriber* subscriber);

  // Leave: frees the caller's name (announced), ends its session, and closes its streams with OK.
  // Returns a goodbye for the person; FAILED_PRECONDITION when the caller has no name.
  Result<std::string> Leave(const Caller& caller);

  // History: up to `limit` (1 to kMaxHistoryRequest) messages the caller may see before
  // `before_id` (0: the latest), oldest first. INVALID_ARGUMENT for a limit out of range,
  // FAILED_PRECONDITION when the caller has no name.
  Result<MessageHistory::Page> History(const Caller& caller, std::uint64_t before_id, std::uint32_t limit);

  // From now on `observer` receives every message the room sequences, direct messages included
  // (Server::Observe). UNAVAILABLE once closed. Like a subscriber, it is evicted when it cannot take
  // a message, and must stay valid until Unobserve() returns or Close() was called on it.
  Status Observe(Subscriber* observer);
  void Unobserve(Subscriber* observer);

  // OK unless the caller presented a session token the room does not know (UNAUTHENTICATED), for
  // calls that need no participant (ListUsers).
  Status CheckSession(const Caller& caller);

  // A connection from `peer` (a gRPC peer string) was accepted, and none of its calls has come yet.
  // TCP gives no two open connections the same address and port at both ends, so whoever `peer`
  // named until now was on a connection that has closed: its calls come no more, and a call
  // without a token from `peer` is somebody new from now on. Without this, a client whose
  // connection took the port of a closed one (the kernel reuses ports, and a NAT shares one address
  // among many people) would be the person before: send under their name, rename it away. A name
  // the closed connection held stays until its deadline (registration_grace), reachable only by its
  // session token. The server calls this for every connection before gRPC sees it.
  void ConnectionOpened(const std::string& peer);

  // The registered names, sorted ignoring case. UNAVAILABLE once closed: the names of a room that
  // is shutting down are no longer anybody's to see.
  Result<std::vector<std::string>> Usernames() const;

  // Frees every name whose connection has not opened Listen within the grace period or whose
  // session's hold ran out, and forgets the flood-control buckets of participants and sources that
  // hold nothing and are full again. Returns when to call again (the earliest deadline still set),
  // or nullopt when none is set.
  std::optional<SteadyTime> ExpireDeadlines();

  // A shared room (RoomOptions::ledger). Register, Post and the notices of names go through the
  // ledger; everything else is answered as above.

  // A name to ask the ledger for: `name` for `participant`, whose name was `old_name` (empty for a
  // first name). `answer` is what the caller is told once the ledger granted it.
  struct NameClaim {
    std::uint64_t participant = 0;
    std::string name;
    std::string old_name;
    std::string answer;
    std::string session;  // the participant's session token: its own, or a new one it takes with the name
  };
  // Register's checks and buckets, without taking the name: either the answer (a refusal, or the
  // caller already has exactly that name) or a claim for the ledger. TAKEN only for a name held in
  // this room; the ledger knows the others.
  struct RegisterPlan {
    std::optional<Registration> answer;
    NameClaim claim;
  };
  Result<RegisterPlan> PlanRegister(const Caller& caller, std::string_view name);
  // The ledger granted `claim`, and sequenced its notice (which comes back through Accept): binds
  // the name here. ABORTED when the caller's name or participant changed since PlanRegister; the
  // caller then gives the claimed name back to the ledger.
  Result<Registration> BindClaimed(const Caller& caller, const NameClaim& claim);
  // Post's checks and buckets, without sequencing: the message (id 0) and who may see it, for the
  // ledger to sequence. A direct message's recipient is left to the ledger to find: its `to` is
  // the name as written, and audience.to is kEverybody.
  struct Outgoing {
    ChatMessage message;
    Audience audience;
  };
  Result<Outgoing> CheckPost(const Caller& caller, std::string_view claimed_name, std::string_view text);

  // A session the ledger moved here from another room (its process went away), with its name:
  // the caller becomes that participant, under that name, held for session_hold until it listens.
  // ALREADY_EXISTS when a participant of this room holds the name.
  struct MovedSession {
    std::uint64_t participant = 0;
    std::string name;
  };
  Status AdoptSession(const Caller& caller, const MovedSession& session);
  // The ledger moved the session of `participant` (named `name`) to another room, in the ledger's
  // step `id` (which sequences no message): unless `here`, a participant of this room lets it go
  // (its streams end with UNAVAILABLE, so that its client resumes where it now is; its name and
  // session are forgotten here without a notice) and its name is listed as another room's.
  void SessionMoved(std::uint64_t id, std::uint64_t participant, const std::string& name, bool here);
  // A Register whose claim the ledger refused: forgets the participant PlanRegister made for the
  // caller, unless it holds something.
  void AbandonPlan(const Caller& caller);
  // The id of the last message sequenced or accepted.
  std::uint64_t last_id() const;

  // A name held in another room of the ledger.
  struct SharedName {
    std::string name;
    std::uint64_t participant;
  };
  // The names the ledger held when this room joined it. Before the first Accept.
  void AdoptNames(const std::vector<SharedName>& names);
  // A message the ledger sequenced, with an id above every one accepted before (one at or below
  // them was accepted already, and is dropped): delivered to the subscribers it is for, kept, and
  // applied to the names. `participant` is who a join, leave or rename notice is about, and
  // `old_name` the name a rename replaced. `frees_ours`: a leave of a name this room holds, which
  // the ledger freed (it took this process for dead); the name is freed here too.
  void Accept(ChatMessage message, Audience audience, std::uint64_t participant, std::string_view old_name,
              bool frees_ours = false);

  struct Stats {
    std::size_t users = 0;
    std::size_t subscribers = 0;
    std::size_t peers = 0;    // participants remembered: holding a name or a stream, or a bucket not yet full
    std::size_t sources = 0;  // source addresses remembered, likewise
    std::size_t sessions = 0;
    std::size_t held = 0;     // names held for a session that has no stream
    std::size_t waiting = 0;  // streams a backend holds back before it subscribes them (RedisBackend)
    std::uint64_t messages = 0;  // chat and direct messages accepted
    std::uint64_t evictions = 0;
    std::size_t history_messages = 0;
    std::size_t history_bytes = 0;
    // Since the room opened (the server's metrics read these):
    std::array<std::uint64_t, kMessageKinds> sequenced{};  // messages and notices, indexed by MessageKind
    std::uint64_t participant_floods = 0;  // refused by a participant's own bucket (messages and renames)
    std::uint64_t address_floods = 0;      // refused by its source address's buckets (messages or names)
    std::uint64_t resumes = 0;             // streams accepted with an after_id
    std::uint64_t gaps = 0;                // of those, replays that began with a GAP
  };
  Stats stats() const;

  // Closes every stream with `reason` and refuses all further calls with UNAVAILABLE.
  void Close(const Status& reason);

 private:
  // A session or a connection the room has heard from (see the top of this file). Kept while it
  // has a name or a stream, and then until its bucket is full again.
  struct Participant {
    std::uint64_t number = 0;                   // never reused
    std::string source;                         // SourceAddress() of the connection it began on
    std::string peer;                           // that connection; empty once a session took over, or once
                                                // the connection was gone (ConnectionOpened)
    std::string folded_name;                    // empty while it has no name
    std::vector<Subscriber*> subscribers;       // its Listen streams
    std::optional<SteadyTime> name_deadline;    // set while it has a name but no stream
    TokenBucket sends;                          // messages and renames
    // Its session, while it has a name. `session_used` once a call presented the token: from then
    // on the session, not the connection, is who the participant is, and its name outlives its
    // streams by session_hold.
    std::string session_key;
    std::array<std::uint8_t, 16> session_secret{};
    std::string session_token;
    bool session_used = false;
  };
  // One source address the room has heard from. Kept while a Participant of it is, and then until
  // its buckets are full again.
  struct Source {
    std::size_t participants = 0;  // Participant entries of this source
    std::size_t names = 0;         // names its participants hold
    std::size_t streams = 0;       // streams its participants hold
    TokenBucket sends;             // messages, all its participants together
    TokenBucket registrations;     // names taken or changed
  };
  // One registered name.
  struct Member {
    std::string name;  // as registered: the case the user chose
    std::uint64_t participant;
  };
  // One open stream. listeners_ is in no particular order: dropping one moves the last into its
  // place, and listener_index_ follows.
  struct Listener {
    Subscriber* subscriber;
    std::uint64_t participant;
  };

  // The participant `caller` is: its session's, or its connection's. A connection that has none
  // gets one (with full buckets) when `make`, and is otherwise answered null. UNAUTHENTICATED for a
  // token the room does not know.
  Result<Participant*> ResolveLocked(const Caller& caller, bool make);
  // A new participant for calls without a token from `peer`.
  Participant& ParticipantOfPeerLocked(const std::string& peer);
  // Calls from the participant's connection are no longer its own: the peer string is forgotten,
  // and the participant is reached by its session token only.
  void DetachPeerLocked(Participant& participant);
  // A new participant numbered `number`, counted against the source address of `peer`.
  Participant& AddParticipantLocked(std::uint64_t number, const std::string& peer);
  // "alice (ipv4:1.2.3.4:5)", for logs. Never the token.
  std::string DescribeLocked(const Participant& participant) const;
  MessagePtr SequenceLocked(ChatMessage message, Audience audience = {});
  // Keeps and hands to the observers `message`, which has its id.
  MessagePtr StoreLocked(ChatMessage message, Audience audience);
  std::uint64_t BroadcastLocked(ChatMessage message);  // returns the message id
  void DeliverLocked(const MessagePtr& message, Subscriber* subscriber);
  // The replay `from` asks for, for `participant`.
  std::vector<MessagePtr> ReplayLocked(const Participant& participant, ListenFrom from);
  // Evicts every subscriber whose Deliver() failed. Runs only at the end of a public method, once
  // its answer is known, so that no reference into members_ or participants_ is held across an
  // eviction (which frees names and forgets participants).
  void EvictOverflowingLocked();
  // Register's checks and buckets for `state` (PlanRegister).
  Result<RegisterPlan> PlanRegisterLocked(Participant& state, const Caller& caller, std::string_view name);
  // Gives `state` the name `claim` asks for, announced when the room is its own.
  void ApplyClaimLocked(Participant& state, const NameClaim& claim);
  void BindNameLocked(Participant& participant, std::string_view name);
  // A name change, announced when the room is its own; the caller has taken the tokens.
  void RenameLocked(Participant& participant, Member& member, std::string_view new_name);
  // Post's checks and buckets (CheckPost); `state` is the sender.
  Result<Outgoing> CheckPostLocked(const Caller& caller, std::string_view claimed_name, std::string_view text,
                                   Participant*& state);
  Status TakeSendTokenLocked(Participant& participant, std::string_view what);
  Status TakeSourceTokenLocked(TokenBucket& bucket, double rate, double burst, std::string_view what);
  // Gives `participant` a session if it has none.
  void OpenSessionLocked(Participant& participant);
  // Gives `participant` the session of token `text` (a shared room's, made elsewhere).
  void AdoptSessionTokenLocked(Participant& participant, const std::string& text);
  // Frees the participant's name, announcing `why` (through the ledger, when there is one), and
  // ends its session.
  void ReleaseNameLocked(Participant& participant, std::string_view why);
  // The local half of that: frees the name and ends the session; returns the name.
  std::string ForgetNameLocked(Participant& participant);

  // Sets the deadline for a participant that has a name and no stream: registration_grace, or
  // session_hold once its session is in use.
  void SetNameDeadlineLocked(Participant& participant);
  // Forgets `participant` if it holds nothing, once its bucket is full again (a sweep is set till then).
  void ForgetParticipantIfUnusedLocked(std::uint64_t number);
  void ForgetSourceIfUnusedLocked(const std::string& source);
  void SetDeadlineLocked(SteadyTime deadline);
  // Forgets the open stream at `index` of listeners_. Every stream is in listeners_,
  // listener_index_ and its participant's subscribers, or in none of them. Returns its participant.
  Participant& DropStreamLocked(std::size_t index);
  // After a participant's stream ended other than by Leave: a connection's name goes with its last
  // stream, announcing `why`; a session's is held.
  void AfterStreamEndedLocked(Participant& participant, std::string_view why);

  const RoomOptions options_;

  mutable std::mutex mu_;
  bool closed_ = false;
  std::uint64_t last_id_;
  std::uint64_t last_participant_;
  std::unordered_map<std::uint64_t, Participant> participants_;  // by number
  std::unordered_map<std::string, std::uint64_t> by_peer_;      // connections' participants
  std::unordered_map<std::string, std::uint64_t> by_session_;   // by session key
  std::unordered_map<std::string, Source> sources_;             // by SourceAddress()
  std::unordered_map<std::string, Member> members_;             // by folded name
  std::unordered_map<std::string, Member> names_elsewhere_;     // a shared room's other rooms' names, by folded name
  std::vector<Listener> listeners_;
  std::unordered_map<const Subscriber*, std::size_t> listener_index_;  // position in listeners_
  std::vector<Subscriber*> observers_;
  MessageHistory history_;
  // Participants by the deadline of their name. Entries are not removed when a participant listens
  // or goes; ExpireDeadlines() skips those that no longer match its name_deadline.
  std::multimap<SteadyTime, std::uint64_t> deadlines_;
  // Participants and sources that held nothing when they were last let go, by when their buckets
  // are full; ExpireDeadlines() forgets those that still hold nothing.
  std::multimap<SteadyTime, std::uint64_t> participant_sweeps_;
  std::multimap<SteadyTime, std::string> source_sweeps_;
  // Subscribers whose Deliver() returned false during the current operation, evicted at its end.
  std::vector<Subscriber*> overflowing_;
  bool evicting_ = false;
  std::uint64_t messages_ = 0;
  std::uint64_t evictions_ = 0;
  std::array<std::uint64_t, kMessageKinds> sequenced_{};
  std::uint64_t participant_floods_ = 0;
  std::uint64_t address_floods_ = 0;
  std::uint64_t resumes_ = 0;
  std::uint64_t gaps_ = 0;
};

}  // namespace chat

#endif  // CHAT_SRC_ROOM_ROOM_H_
