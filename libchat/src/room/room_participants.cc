// The room's participants: who a call comes from, their sessions, and the deadlines that let them
// go. Part of Room (room.h); the names and messages are in room.cc, the streams in room_streams.cc.
#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "room/room.h"
#include "room/source_address.h"

namespace chat {

Result<Room::Participant*> Room::ResolveLocked(const Caller& caller, bool make) {
  if (!caller.session) {
    if (const auto known = by_peer_.find(caller.peer); known != by_peer_.end()) {
      return &participants_.at(known->second);
    }
    if (!make) return static_cast<Participant*>(nullptr);
    return &ParticipantOfPeerLocked(caller.peer);
  }
  const std::optional<SessionToken> token = ParseSessionToken(*caller.session);
  const auto session = token ? by_session_.find(token->key) : by_session_.end();
  if (session == by_session_.end() || !SameSecret(participants_.at(session->second).session_secret, token->secret)) {
    return Status(StatusCode::kUnauthenticated,
                  "unknown or ended session: register again with AddUser, without the chat-session metadata");
  }
  Participant& participant = participants_.at(session->second);
  if (!participant.session_used) {
    // From now on the session is who this participant is. The connection it began on may close,
    // and another may come to have the same peer string; calls from that one are somebody else's.
    participant.session_used = true;
    DetachPeerLocked(participant);
  }
  return &participant;
}

Status Room::CheckSession(const Caller& caller) {
  if (!caller.session) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  Result<Participant*> resolved = ResolveLocked(caller, false);
  return resolved.ok() ? Status::Ok() : resolved.status();
}

void Room::ConnectionOpened(const std::string& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto known = by_peer_.find(peer);
  if (known == by_peer_.end()) return;
  const std::uint64_t number = known->second;
  Participant& participant = participants_.at(number);
  DetachPeerLocked(participant);
  if (!participant.folded_name.empty()) {
    spdlog::info("{}: its connection closed, as a new one comes from {}; the name waits for its token",
                 DescribeLocked(participant), peer);
  }
  ForgetParticipantIfUnusedLocked(number);
}

void Room::DetachPeerLocked(Participant& participant) {
  if (participant.peer.empty()) return;
  by_peer_.erase(participant.peer);
  participant.peer.clear();
}

Room::Participant& Room::ParticipantOfPeerLocked(const std::string& peer) {
  const std::uint64_t number = ++last_participant_;
  Participant& participant = AddParticipantLocked(number, peer);
  participant.peer = peer;
  by_peer_[peer] = number;
  return participant;
}

Room::Participant& Room::AddParticipantLocked(std::uint64_t number, const std::string& peer) {
  Participant& participant = participants_[number];
  participant.number = number;
  participant.source = SourceAddress(peer);
  participant.sends = TokenBucket(options_.max_rate, options_.max_burst, options_.steady_now());
  auto [source, new_source] = sources_.try_emplace(participant.source);
  if (new_source) {
    const SteadyTime now = options_.steady_now();
    source->second.sends = TokenBucket(options_.max_address_rate, options_.max_address_burst, now);
    source->second.registrations = TokenBucket(options_.max_registration_rate, options_.max_registration_burst, now);
  }
  ++source->second.participants;
  return participant;
}

std::string Room::DescribeLocked(const Participant& participant) const {
  const std::string who = participant.folded_name.empty() ? std::string("an unnamed listener")
                                                          : members_.at(participant.folded_name).name;
  if (!participant.peer.empty()) return fmt::format("{} ({})", who, participant.peer);
  return fmt::format("{} (session {}, from {})", who, participant.number, participant.source);
}

void Room::OpenSessionLocked(Participant& participant) {
  if (!participant.session_token.empty()) return;
  SessionToken token = NewSessionToken();
  by_session_[token.key] = participant.number;
  participant.session_key = std::move(token.key);
  participant.session_secret = token.secret;
  participant.session_token = std::move(token.text);
}

void Room::SetNameDeadlineLocked(Participant& participant) {
  const auto wait = participant.session_used ? options_.session_hold : options_.registration_grace;
  participant.name_deadline = options_.steady_now() + wait;
  deadlines_.emplace(*participant.name_deadline, participant.number);
  SetDeadlineLocked(*participant.name_deadline);
}

std::optional<SteadyTime> Room::ExpireDeadlines() {
  std::lock_guard<std::mutex> lock(mu_);
  const SteadyTime now = options_.steady_now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const auto [deadline, number] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    const auto found = participants_.find(number);
    if (found == participants_.end() || found->second.name_deadline != deadline) continue;  // stale entry
    ReleaseNameLocked(found->second, found->second.session_used ? "connection lost" : "did not start listening");
    ForgetParticipantIfUnusedLocked(number);
  }
  // A sweep forgets an entry only if it still holds nothing and is full; otherwise another sweep is
  // set, or the entry is in use again and the sweep is stale.
  while (!participant_sweeps_.empty() && participant_sweeps_.begin()->first <= now) {
    const std::uint64_t number = participant_sweeps_.begin()->second;
    participant_sweeps_.erase(participant_sweeps_.begin());
    ForgetParticipantIfUnusedLocked(number);
  }
  while (!source_sweeps_.empty() && source_sweeps_.begin()->first <= now) {
    const std::string source = std::move(source_sweeps_.begin()->second);
    source_sweeps_.erase(source_sweeps_.begin());
    ForgetSourceIfUnusedLocked(source);
  }
  EvictOverflowingLocked();
  std::optional<SteadyTime> next;
  const auto consider = [&next](const auto& timers) {
    if (!timers.empty() && (!next || timers.begin()->first < *next)) next = timers.begin()->first;
  };
  consider(deadlines_);
  consider(participant_sweeps_);
  consider(source_sweeps_);
  return next;
}

void Room::ForgetParticipantIfUnusedLocked(std::uint64_t number) {
  const auto found = participants_.find(number);
  if (found == participants_.end()) return;
  Participant& participant = found->second;
  if (!participant.folded_name.empty() || !participant.subscribers.empty()) return;
  const SteadyTime full_at = participant.sends.FullAt();
  if (full_at > options_.steady_now()) {
    participant_sweeps_.emplace(full_at, number);
    SetDeadlineLocked(full_at);
    return;
  }
  if (!participant.peer.empty()) by_peer_.erase(participant.peer);
  const std::string source = std::move(participant.source);
  participants_.erase(found);
  --sources_.at(source).participants;
  ForgetSourceIfUnusedLocked(source);
}

void Room::ForgetSourceIfUnusedLocked(const std::string& source) {
  const auto found = sources_.find(source);
  if (found == sources_.end() || found->second.participants > 0) return;
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

}  // namespace chat
