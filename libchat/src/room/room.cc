#include "room/room.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "chat/rules.h"
#include "common/shutdown.h"
#include "room/source_address.h"

namespace chat {
namespace {

Status Closed() { return Status(StatusCode::kUnavailable, kShuttingDownMessage); }

ChatMessage NewChatMessage(MessageKind kind, std::string_view from, std::string text) {
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
    case MessageKind::kGap: return "gap";
  }
  return "unknown";
}

}  // namespace

Room::Room(RoomOptions options) : options_(std::move(options)) {}

Result<Registration> Room::Register(const std::string& peer, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();

  if (Status problem = CheckUsername(name); !problem.ok()) {
    return Registration{RegistrationCode::kInvalid, "invalid name: " + problem.message(), {}};
  }

  const std::string folded = FoldUsername(name);
  Registration added{RegistrationCode::kAdded, "", {}};
  if (auto owner = members_.find(folded); owner != members_.end()) {
    Member& member = owner->second;
    if (member.peer != peer) {
      return Registration{RegistrationCode::kTaken, fmt::format("{} is taken; choose another name", member.name), {}};
    }
    if (member.name == name) return Registration{RegistrationCode::kAdded, fmt::format("you are {}", name), {}};
    // The same name in another case: a rename in all but the key.
    Peer& state = peers_.at(peer);
    if (Status flood = TakeSendTokenLocked(state, "changing names"); !flood.ok()) return flood;
    Source& source = sources_.at(state.source);
    if (Status flood = TakeSourceTokenLocked(source.registrations, options_.max_registration_rate,
                                             options_.max_registration_burst, "changing names");
        !flood.ok()) {
      return flood;
    }
    RenameLocked(peer, member, name);
    added.message = fmt::format("you are {}", name);
  } else if (Peer& state = PeerLocked(peer); !state.folded_name.empty()) {
    // A rename: the new name is free, so the old one goes.
    Source& source = sources_.at(state.source);
    Status flood = TakeSendTokenLocked(state, "changing names");
    if (flood.ok()) {
      flood = TakeSourceTokenLocked(source.registrations, options_.max_registration_rate,
                                    options_.max_registration_burst, "changing names");
    }
    if (!flood.ok()) return flood;
    auto old = members_.extract(state.folded_name);
    old.key() = folded;
    state.folded_name = folded;
    RenameLocked(peer, members_.insert(std::move(old)).position->second, name);
    added.message = fmt::format("you are now {}", name);
  } else {
    Source& source = sources_.at(state.source);
    Status refused;
    if (members_.size() >= options_.max_users) {
      spdlog::warn("refused {} ({}): {} users registered, the limit", name, peer, members_.size());
      refused = Status(StatusCode::kResourceExhausted,
                       fmt::format("the server is full ({} users); try again later", options_.max_users));
    } else if (source.names >= options_.max_names_per_address) {
      spdlog::info("refused {} ({}): its address holds {} names, the limit", name, peer, source.names);
      refused = Status(StatusCode::kResourceExhausted,
                       fmt::format("your address holds {} names, the most it may", options_.max_names_per_address));
    } else {
      refused = TakeSourceTokenLocked(source.registrations, options_.max_registration_rate,
                                      options_.max_registration_burst, "taking names");
    }
    if (!refused.ok()) {
      ForgetPeerIfUnusedLocked(peer);
      return refused;
    }
    BindNameLocked(peer, state, name);
    added.message = fmt::format("welcome, {}", name);
  }

  // The announcement may have overflowed the caller's own stream. Its eviction then frees the name
  // again, and the caller must not be told it has it.
  EvictOverflowingLocked();
  const auto state = peers_.find(peer);
  if (state == peers_.end() || state->second.folded_name != folded) {
    return Status(StatusCode::kResourceExhausted,
                  "too slow: your stream fell too far behind and was ended, and the name with it; listen and "
                  "register again");
  }
  return added;
}

Result<std::uint64_t> Room::Post(const std::string& peer, std::string_view claimed_name, std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();

  const auto sender_peer = peers_.find(peer);
  if (sender_peer == peers_.end() || sender_peer->second.folded_name.empty()) {
    return Status(StatusCode::kFailedPrecondition, "register first: call AddUser with a name");
  }
  Peer& state = sender_peer->second;
  const Member& sender = members_.at(state.folded_name);
  if (!claimed_name.empty() && !SameUsername(claimed_name, sender.name)) {
    return Status(StatusCode::kPermissionDenied,
                  fmt::format("you are {} and cannot send as another user", sender.name));
  }
  if (Status flood = TakeSendTokenLocked(state, "sending"); !flood.ok()) return flood;
  if (Status flood = TakeSourceTokenLocked(sources_.at(state.source).sends, options_.max_address_rate,
                                           options_.max_address_burst, "sending");
      !flood.ok()) {
    return flood;
  }
  if (Status problem = CheckMessageText(text, options_.max_text_bytes); !problem.ok()) return problem;

  const std::string_view trimmed = TrimText(text);
  if (!IsDirectMessage(trimmed)) {
    const std::uint64_t id = BroadcastLocked(NewChatMessage(MessageKind::kChat, sender.name, std::string(trimmed)));
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
  ChatMessage direct = NewChatMessage(MessageKind::kDirect, sender.name, std::string(trimmed));
  direct.to = recipient->second.name;
  const MessagePtr message = SequenceLocked(std::move(direct));
  ++messages_;
  for (Subscriber* subscriber : state.subscribers) DeliverLocked(message, subscriber);
  if (recipient->second.peer != peer) {
    for (Subscriber* subscriber : peers_.at(recipient->second.peer).subscribers) DeliverLocked(message, subscriber);
  }
  EvictOverflowingLocked();
  return message->id;
}

Status Room::Subscribe(const std::string& peer, Subscriber* subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();
  Peer& state = PeerLocked(peer);
  Source& source = sources_.at(state.source);
  Status refused;
  if (state.subscribers.size() >= options_.max_streams_per_connection) {
    refused = Status(StatusCode::kResourceExhausted,
                     fmt::format("this connection has {} streams open, the most it may",
                                 options_.max_streams_per_connection));
  } else if (source.streams >= options_.max_streams_per_address) {
    refused = Status(StatusCode::kResourceExhausted,
                     fmt::format("your address has {} streams open, the most it may", options_.max_streams_per_address));
  } else if (listeners_.size() >= options_.max_streams) {
    spdlog::warn("refused a stream of {}: {} streams open, the limit", peer, listeners_.size());
    refused = Status(StatusCode::kResourceExhausted,
                     fmt::format("the server has {} streams open, the most it may; try again later",
                                 options_.max_streams));
  }
  if (!refused.ok()) {
    ForgetPeerIfUnusedLocked(peer);
    return refused;
  }
  state.subscribers.push_back(subscriber);
  state.listen_deadline.reset();
  ++source.streams;
  listener_index_[subscriber] = listeners_.size();
  listeners_.push_back(Listener{subscriber, peer});
  spdlog::debug("listen {} ({} streams)", peer, listeners_.size());
  return Status::Ok();
}

void Room::Unsubscribe(const std::string& peer, Subscriber* subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto index = listener_index_.find(subscriber);
  if (index == listener_index_.end() || listeners_[index->second].peer != peer) return;
  DropStreamLocked(index->second, "");
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

std::optional<SteadyTime> Room::ExpireDeadlines() {
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
  // A sweep forgets an entry only if it still holds nothing and is full; otherwise another sweep is
  // set, or the entry is in use again and the sweep is stale.
  while (!peer_sweeps_.empty() && peer_sweeps_.begin()->first <= now) {
    const std::string peer = std::move(peer_sweeps_.begin()->second);
    peer_sweeps_.erase(peer_sweeps_.begin());
    ForgetPeerIfUnusedLocked(peer);
  }
  while (!source_sweeps_.empty() && source_sweeps_.begin()->first <= now) {
    const std::string source = std::move(source_sweeps_.begin()->second);
    source_sweeps_.erase(source_sweeps_.begin());
    ForgetSourceIfUnusedLocked(source);
  }
  EvictOverflowingLocked();
  std::optional<SteadyTime> next;
  for (const auto* timers : {&deadlines_, &peer_sweeps_, &source_sweeps_}) {
    if (!timers->empty() && (!next || timers->begin()->first < *next)) next = timers->begin()->first;
  }
  return next;
}

Room::Stats Room::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{members_.size(), listeners_.size(), peers_.size(), sources_.size(), messages_, evictions_};
}

void Room::Close(const Status& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  for (const Listener& listener : listeners_) listener.subscriber->Close(reason);
  for (Subscriber* observer : observers_) observer->Close(reason);
  spdlog::info("room closed: {} streams ended, {} users", listeners_.size(), members_.size());
  listeners_.clear();
  listener_index_.clear();
  observers_.clear();
  for (auto& [peer, state] : peers_) state.subscribers.clear();
  for (auto& [address, source] : sources_) source.streams = 0;
}

Room::Peer& Room::PeerLocked(const std::string& peer) {
  auto [found, made] = peers_.try_emplace(peer);
  if (!made) return found->second;
  Peer& state = found->second;
  state.source = SourceAddress(peer);
  state.sends = TokenBucket(options_.max_rate, options_.max_burst, options_.steady_now());
  auto [source, new_source] = sources_.try_emplace(state.source);
  if (new_source) {
    const SteadyTime now = options_.steady_now();
    source->second.sends = TokenBucket(options_.max_address_rate, options_.max_address_burst, now);
    source->second.registrations = TokenBucket(options_.max_registration_rate, options_.max_registration_burst, now);
  }
  ++source->second.peers;
  return state;
}

MessagePtr Room::SequenceLocked(ChatMessage message) {
  message.id = ++last_id_;
  message.server_time = options_.system_now();
  spdlog::debug("message {} {} from '{}' to '{}' ({} bytes)", message.id, KindName(message.kind), message.from,
                message.to, message.text.size());
  auto sequenced = std::make_shared<SequencedMessage>();
  static_cast<ChatMessage&>(*sequenced) = std::move(message);
  sequenced->accepted_at = options_.steady_now();
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
      spdlog::info("evicted an observer: too slow");
      continue;
    }
    const auto index = listener_index_.find(subscriber);
    if (index == listener_index_.end()) continue;  // already evicted during this operation
    const std::string peer = listeners_[index->second].peer;
    const Peer& state = peers_.at(peer);
    subscriber->Close(Status(StatusCode::kResourceExhausted, "too slow: the stream fell too far behind"));
    ++evictions_;
    spdlog::info("evicted {} ({}): too slow",
                 state.folded_name.empty() ? "an unnamed listener" : members_.at(state.folded_name).name, peer);
    DropStreamLocked(index->second, "too slow");
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

Status Room::TakeSourceTokenLocked(TokenBucket& bucket, double rate, double burst, std::string_view what) {
  if (bucket.TryTake(options_.steady_now())) return Status::Ok();
  return Status(StatusCode::kResourceExhausted,
                fmt::format("{} too fast from your address (at most {:g} per second, bursts of {:g})", what, rate, burst));
}

void Room::BindNameLocked(const std::string& peer, Peer& state, std::string_view name) {
  state.folded_name = FoldUsername(name);
  members_[state.folded_name] = Member{std::string(name), peer};
  ++sources_.at(state.source).names;
  if (state.subscribers.empty()) {
    state.listen_deadline = options_.steady_now() + options_.registration_grace;
    deadlines_.emplace(*state.listen_deadline, peer);
    SetDeadlineLocked(*state.listen_deadline);
  }
  spdlog::info("join {} ({})", name, peer);
  BroadcastLocked(NewChatMessage(MessageKind::kJoin, name, fmt::format("{} joined", name)));
}

void Room::RenameLocked(const std::string& peer, Member& member, std::string_view new_name) {
  const std::string old_name = std::exchange(member.name, std::string(new_name));
  spdlog::info("rename {} -> {} ({})", old_name, new_name, peer);
  BroadcastLocked(
      NewChatMessage(MessageKind::kNotice, new_name, fmt::format("{} is now known as {}", old_name, new_name)));
}

void Room::ReleaseNameLocked(Peer& state, std::string_view why) {
  const auto member = members_.find(state.folded_name);
  std::string name = std::move(member->second.name);
  spdlog::info("leave {} ({}){}{}", name, member->second.peer, why.empty() ? "" : ": ", why);
  members_.erase(member);
  state.folded_name.clear();
  state.listen_deadline.reset();
  --sources_.at(state.source).names;
  std::string text = why.empty() ? fmt::format("{} left", name) : fmt::format("{} left ({})", name, why);
  BroadcastLocked(NewChatMessage(MessageKind::kLeave, name, std::move(text)));
}

void Room::ForgetPeerIfUnusedLocked(const std::string& peer) {
  const auto found = peers_.find(peer);
  if (found == peers_.end()) return;
  Peer& state = found->second;
  if (!state.folded_name.empty() || !state.subscribers.empty()) return;
  const SteadyTime full_at = state.sends.FullAt();
  if (full_at > options_.steady_now()) {
    peer_sweeps_.emplace(full_at, peer);
    SetDeadlineLocked(full_at);
    return;
  }
  const std::string source = std::move(state.source);
  peers_.erase(found);
  --sources_.at(source).peers;
  ForgetSourceIfUnusedLocked(source);
}

void Room::ForgetSourceIfUnusedLocked(const std::string& source) {
  const auto found = sources_.find(source);
  if (found == sources_.end() || found->second.peers > 0) return;
  const SteadyTime full_at = std::max(found->second.sends.FullAt(), found->second.registrations.FullAt());
  if (full_at > options_.steady_now()) {
    source_sweeps_.emplace(full_at, source);
    SetDeadlineLocked(full_at);
    return;
  }
  sources_.erase(found);
}

void Room::SetDeadlineLocked(SteadyTime deadline) {
  if (options_.on_deadline) options_.on_deadline(deadline);
}

void Room::DropStreamLocked(std::size_t index, std::string_view why) {
  Subscriber* const subscriber = listeners_[index].subscriber;
  Peer& state = peers_.at(listeners_[index].peer);
  listener_index_.erase(subscriber);
  if (index + 1 != listeners_.size()) {
    listeners_[index] = std::move(listeners_.back());
    listener_index_[listeners_[index].subscriber] = index;
  }
  listeners_.pop_back();
  std::erase(state.subscribers, subscriber);
  --sources_.at(state.source).streams;
  if (state.subscribers.empty() && !state.folded_name.empty()) ReleaseNameLocked(state, why);
}

}  // namespace chat
