#include "room.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "chat/rules.h"

namespace chat {
namespace {

Status Closed() { return Status(StatusCode::kUnavailable, "the server is shutting down"); }

ChatMessage Entry(MessageKind kind, std::string_view from, std::string text) {
  ChatMessage message;
  message.kind = kind;
  message.from = std::string(from);
  message.text = std::move(text);
  return message;
}

std::string_view KindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::kChat: return "chat";
    case MessageKind::kDirect: return "direct";
    case MessageKind::kJoin: return "join";
    case MessageKind::kLeave: return "leave";
    case MessageKind::kNotice: return "notice";
  }
  return "unknown";
}

}  // namespace

Room::Room(RoomOptions options) : options_(std::move(options)) {}

Result<Registration> Room::Register(const std::string& peer, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();

  if (Status problem = CheckUsername(name); !problem.ok()) {
    return Registration{RegistrationCode::kInvalid, "invalid name: " + problem.message()};
  }

  const std::string folded = FoldUsername(name);
  if (auto owner = members_.find(folded); owner != members_.end()) {
    Member& member = owner->second;
    if (member.peer != peer) {
      return Registration{RegistrationCode::kTaken, fmt::format("{} is taken; choose another name", member.name)};
    }
    if (member.name != name) {  // the same name in another case: a rename in all but the key
      if (Status flood = TakeSendTokenLocked(peers_.at(peer), "changing names"); !flood.ok()) return flood;
      const std::string old_name = std::exchange(member.name, std::string(name));
      AnnounceRenameLocked(peer, old_name, member.name);
    }
    return Registration{RegistrationCode::kAdded, fmt::format("you are {}", member.name)};
  }

  Peer& state = peers_[peer];
  if (!state.folded_name.empty()) {  // a rename: the new name is free, so the old one goes
    if (Status flood = TakeSendTokenLocked(state, "changing names"); !flood.ok()) return flood;
    Member old = std::move(members_.at(state.folded_name));
    members_.erase(state.folded_name);
    state.folded_name = folded;
    members_[folded] = Member{std::string(name), peer};
    AnnounceRenameLocked(peer, old.name, std::string(name));
    return Registration{RegistrationCode::kAdded, fmt::format("you are now {}", name)};
  }

  if (members_.size() >= options_.max_users) {
    ForgetPeerIfUnusedLocked(peer);
    spdlog::warn("refused {} ({}): {} users registered, the limit", name, peer, members_.size());
    return Status(StatusCode::kResourceExhausted,
                  fmt::format("the server is full ({} users); try again later", options_.max_users));
  }
  BindNameLocked(peer, state, name);
  EvictOverflowingLocked();
  return Registration{RegistrationCode::kAdded, fmt::format("welcome, {}", name)};
}

Result<std::uint64_t> Room::Post(const std::string& peer, std::string_view claimed_name, std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();

  const auto sender_peer = peers_.find(peer);
  if (sender_peer == peers_.end() || sender_peer->second.folded_name.empty()) {
    return Status(StatusCode::kFailedPrecondition, "register first: call AddUser with a name");
  }
  const Member& sender = members_.at(sender_peer->second.folded_name);
  if (!claimed_name.empty() && !SameUsername(claimed_name, sender.name)) {
    return Status(StatusCode::kPermissionDenied,
                  fmt::format("you are {} and cannot send as another user", sender.name));
  }
  if (Status flood = TakeSendTokenLocked(sender_peer->second, "sending"); !flood.ok()) return flood;
  if (Status problem = CheckMessageText(text, options_.max_text_bytes); !problem.ok()) return problem;

  const std::string_view trimmed = TrimText(text);
  if (!IsDirectMessage(trimmed)) {
    const std::uint64_t id = BroadcastLocked(Entry(MessageKind::kChat, sender.name, std::string(trimmed)));
    ++messages_;
    EvictOverflowingLocked();  // may announce leaves, which take later ids
    return id;
  }

  Result<Mention> mention = ParseMention(trimmed);
  if (!mention.ok()) return mention.status();
  const auto recipient = members_.find(FoldUsername(mention->recipient));
  if (recipient == members_.end()) {
    return Status(StatusCode::kNotFound, fmt::format("no such user: {}", mention->recipient));
  }
  ChatMessage direct = Entry(MessageKind::kDirect, sender.name, std::string(trimmed));
  direct.to = recipient->second.name;
  const MessagePtr message = SequenceLocked(std::move(direct));
  ++messages_;
  for (Subscriber* subscriber : sender_peer->second.subscribers) DeliverLocked(message, subscriber);
  if (recipient->second.peer != peer) {
    for (Subscriber* subscriber : peers_.at(recipient->second.peer).subscribers) DeliverLocked(message, subscriber);
  }
  EvictOverflowingLocked();
  return message->id;
}

Status Room::Subscribe(const std::string& peer, Subscriber* subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();
  Peer& state = peers_[peer];
  state.subscribers.push_back(subscriber);
  state.listen_deadline.reset();
  listeners_.push_back(Listener{subscriber, peer});
  spdlog::debug("listen {} ({} streams)", peer, listeners_.size());
  return Status::Ok();
}

void Room::Unsubscribe(const std::string& peer, Subscriber* subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto listener = FindListenerLocked(subscriber);
  if (listener == listeners_.end() || listener->peer != peer) return;
  DropStreamLocked(listener, "");
  spdlog::debug("stream ended {} ({} streams)", peer, listeners_.size());
  ForgetPeerIfUnusedLocked(peer);
  EvictOverflowingLocked();
}

Status Room::Observe(Subscriber* observer) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();
  observers_.push_back(observer);
  return Status::Ok();
}

void Room::Unobserve(Subscriber* observer) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase(observers_, observer);
}

Result<std::vector<std::string>> Room::Usernames() const {
  std::vector<std::pair<std::string, std::string>> by_folded;  // sorted on the folded name
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Closed();
    by_folded.reserve(members_.size());
    for (const auto& [folded, member] : members_) by_folded.emplace_back(folded, member.name);
  }
  std::sort(by_folded.begin(), by_folded.end());
  std::vector<std::string> names;
  names.reserve(by_folded.size());
  for (auto& entry : by_folded) names.push_back(std::move(entry.second));
  return names;
}

std::optional<SteadyTime> Room::ExpireRegistrations() {
  std::lock_guard<std::mutex> lock(mu_);
  const SteadyTime now = options_.steady_now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const auto [deadline, peer] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    const auto found = peers_.find(peer);
    if (found == peers_.end() || found->second.listen_deadline != deadline) continue;  // stale entry
    ReleaseNameLocked(found->second, "did not start listening");
    ForgetPeerIfUnusedLocked(peer);
  }
  EvictOverflowingLocked();
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

Room::Stats Room::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{members_.size(), listeners_.size(), messages_, evictions_};
}

void Room::Close(const Status& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  for (const Listener& listener : listeners_) listener.subscriber->Close(reason);
  for (Subscriber* observer : observers_) observer->Close(reason);
  spdlog::info("room closed: {} streams ended, {} users", listeners_.size(), members_.size());
  listeners_.clear();
  observers_.clear();
  for (auto& [peer, state] : peers_) state.subscribers.clear();
}

MessagePtr Room::SequenceLocked(ChatMessage message) {
  message.id = ++last_id_;
  message.server_time = options_.system_now();
  spdlog::debug("message {} {} from '{}' to '{}' ({} bytes)", message.id, KindName(message.kind), message.from,
                message.to, message.text.size());
  auto sequenced = std::make_shared<SequencedMessage>();
  static_cast<ChatMessage&>(*sequenced) = std::move(message);
  if (options_.encode) sequenced->wire = options_.encode(*sequenced);
  for (Subscriber* observer : observers_) DeliverLocked(sequenced, observer);
  return sequenced;
}

std::uint64_t Room::BroadcastLocked(ChatMessage message) {
  const MessagePtr shared = SequenceLocked(std::move(message));
  for (const Listener& listener : listeners_) DeliverLocked(shared, listener.subscriber);
  return shared->id;
}

void Room::DeliverLocked(const MessagePtr& message, Subscriber* subscriber) {
  if (!subscriber->Deliver(message)) overflowing_.push_back(subscriber);
}

// Evicting a subscriber announces its leave, which may overflow others; the loop runs until none
// is left, and the evicting_ flag keeps nested calls (from that announcement) from recursing.
void Room::EvictOverflowingLocked() {
  if (evicting_) return;
  evicting_ = true;
  while (!overflowing_.empty()) {
    Subscriber* const subscriber = overflowing_.back();
    overflowing_.pop_back();
    if (const auto observer = std::find(observers_.begin(), observers_.end(), subscriber);
        observer != observers_.end()) {
      observers_.erase(observer);
      subscriber->Close(Status(StatusCode::kResourceExhausted, "too slow: the observer fell too far behind"));
      ++evictions_;
      spdlog::info("evicted an observer: queue full");
      continue;
    }
    const auto listener = FindListenerLocked(subscriber);
    if (listener == listeners_.end()) continue;  // already evicted during this fan-out
    const std::string peer = listener->peer;
    const Peer& state = peers_.at(peer);
    subscriber->Close(Status(StatusCode::kResourceExhausted, "too slow: the stream fell too far behind"));
    ++evictions_;
    spdlog::info("evicted {} ({}): queue full",
                 state.folded_name.empty() ? "an unnamed listener" : members_.at(state.folded_name).name, peer);
    DropStreamLocked(listener, "too slow");
    ForgetPeerIfUnusedLocked(peer);
  }
  evicting_ = false;
}

// Every attempt counts, accepted or not, so that a flood of bad messages is slowed down too.
Status Room::TakeSendTokenLocked(Peer& state, std::string_view what) {
  if (state.sends.TryTake(options_.steady_now())) return Status::Ok();
  return Status(StatusCode::kResourceExhausted,
                fmt::format("{} too fast (at most {:g} per second, bursts of {:g})", what, options_.max_rate,
                            options_.max_burst));
}

void Room::BindNameLocked(const std::string& peer, Peer& state, std::string_view name) {
  state.folded_name = FoldUsername(name);
  state.sends = TokenBucket(options_.max_rate, options_.max_burst, options_.steady_now());
  members_[state.folded_name] = Member{std::string(name), peer};
  if (state.subscribers.empty()) {
    state.listen_deadline = options_.steady_now() + options_.registration_grace;
    deadlines_.emplace(*state.listen_deadline, peer);
    if (options_.on_deadline) options_.on_deadline(*state.listen_deadline);
  }
  spdlog::info("join {} ({})", name, peer);
  BroadcastLocked(Entry(MessageKind::kJoin, name, fmt::format("{} joined", name)));
}

void Room::ReleaseNameLocked(Peer& state, std::string_view why) {
  const auto member = members_.find(state.folded_name);
  std::string name = std::move(member->second.name);
  spdlog::info("leave {} ({}){}{}", name, member->second.peer, why.empty() ? "" : ": ", why);
  members_.erase(member);
  state.folded_name.clear();
  state.listen_deadline.reset();
  std::string text = why.empty() ? fmt::format("{} left", name) : fmt::format("{} left ({})", name, why);
  BroadcastLocked(Entry(MessageKind::kLeave, name, std::move(text)));
}

void Room::ForgetPeerIfUnusedLocked(const std::string& peer) {
  const auto found = peers_.find(peer);
  if (found != peers_.end() && found->second.folded_name.empty() && found->second.subscribers.empty()) {
    peers_.erase(found);
  }
}

void Room::AnnounceRenameLocked(const std::string& peer, const std::string& old_name, const std::string& new_name) {
  spdlog::info("rename {} -> {} ({})", old_name, new_name, peer);
  BroadcastLocked(Entry(MessageKind::kNotice, new_name, fmt::format("{} is now known as {}", old_name, new_name)));
  EvictOverflowingLocked();
}

std::vector<Room::Listener>::iterator Room::FindListenerLocked(const Subscriber* subscriber) {
  return std::find_if(listeners_.begin(), listeners_.end(),
                      [&](const Listener& l) { return l.subscriber == subscriber; });
}

void Room::DropStreamLocked(std::vector<Listener>::iterator listener, std::string_view why) {
  Subscriber* const subscriber = listener->subscriber;
  Peer& state = peers_.at(listener->peer);
  *listener = std::move(listeners_.back());
  listeners_.pop_back();
  std::erase(state.subscribers, subscriber);
  if (state.subscribers.empty() && !state.folded_name.empty()) ReleaseNameLocked(state, why);
}

}  // namespace chat
