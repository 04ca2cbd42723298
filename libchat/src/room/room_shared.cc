// A room shared with the rooms of other processes through a RoomLedger: the steps of Register and
// Post that the ledger comes between, and what the ledger hands back. Part of Room (room.h).
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "chat/rules.h"
#include "common/shutdown.h"
#include "room/room.h"
#include "room/session_token.h"

namespace chat {

Result<Room::RegisterPlan> Room::PlanRegister(const Caller& caller, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status(StatusCode::kUnavailable, kShuttingDownMessage);
  Result<Participant*> resolved = ResolveLocked(caller, true);
  if (!resolved.ok()) return resolved.status();
  Result<RegisterPlan> plan = PlanRegisterLocked(**resolved, caller, name);
  // The session is in the ledger with the name, so that another room can take it over.
  if (plan.ok() && !plan->answer) {
    plan->claim.session = (*resolved)->session_token.empty() ? NewSessionToken().text : (*resolved)->session_token;
  }
  return plan;
}

Result<Registration> Room::BindClaimed(const Caller& caller, const NameClaim& claim) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status(StatusCode::kUnavailable, kShuttingDownMessage);
  Result<Participant*> resolved = ResolveLocked(caller, true);
  if (!resolved.ok()) return resolved.status();
  Participant& state = **resolved;
  const std::string old_folded = claim.old_name.empty() ? std::string() : FoldUsername(claim.old_name);
  if (state.number != claim.participant || state.folded_name != old_folded) {
    ForgetParticipantIfUnusedLocked(state.number);
    return Status(StatusCode::kAborted, "another change of your name came first; try again");
  }
  names_elsewhere_.erase(FoldUsername(claim.name));  // ours now, whatever notice is still on its way
  if (state.session_token.empty()) AdoptSessionTokenLocked(state, claim.session);
  ApplyClaimLocked(state, claim);
  return Registration{RegistrationCode::kAdded, claim.answer, state.session_token};
}

Result<Room::Outgoing> Room::CheckPost(const Caller& caller, std::string_view claimed_name, std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status(StatusCode::kUnavailable, kShuttingDownMessage);
  Participant* state = nullptr;
  Result<Outgoing> outgoing = CheckPostLocked(caller, claimed_name, text, state);
  if (outgoing.ok()) outgoing->message.server_time = options_.system_now();
  return outgoing;
}

Status Room::AdoptSession(const Caller& caller, const MovedSession& session) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status(StatusCode::kUnavailable, kShuttingDownMessage);
  if (participants_.contains(session.participant)) return Status::Ok();  // moved here already
  const std::string folded = FoldUsername(session.name);
  if (members_.contains(folded)) {
    return Status(StatusCode::kAlreadyExists, fmt::format("{} is held here by somebody else", session.name));
  }
  // Numbered as the session's participant, so that its history (direct messages included) is its own.
  Participant& moved = AddParticipantLocked(session.participant, caller.peer);
  AdoptSessionTokenLocked(moved, *caller.session);
  moved.session_used = true;
  names_elsewhere_.erase(folded);
  moved.folded_name = folded;
  members_[folded] = Member{session.name, moved.number};
  ++sources_.at(moved.source).names;
  SetNameDeadlineLocked(moved);
  spdlog::info("session moved here: {}", DescribeLocked(moved));
  return Status::Ok();
}

void Room::SessionMoved(std::uint64_t id, std::uint64_t participant, const std::string& name, bool here) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || id <= last_id_) return;
  last_id_ = id;
  if (here) return;
  if (const auto found = participants_.find(participant); found != participants_.end()) {
    Participant& state = found->second;
    spdlog::info("session moved to another server: {}", DescribeLocked(state));
    while (!state.subscribers.empty()) {
      Subscriber* const subscriber = state.subscribers.back();
      DropStreamLocked(listener_index_.at(subscriber));
      subscriber->Close(Status(StatusCode::kUnavailable, "your session moved to another server"));
    }
    if (!state.folded_name.empty()) ForgetNameLocked(state);  // its session with it
    ForgetParticipantIfUnusedLocked(participant);
  }
  names_elsewhere_[FoldUsername(name)] = Member{name, participant};
}

void Room::AbandonPlan(const Caller& caller) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Participant*> resolved = ResolveLocked(caller, false);
  if (resolved.ok() && *resolved != nullptr) ForgetParticipantIfUnusedLocked((*resolved)->number);
}

std::uint64_t Room::last_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_id_;
}

void Room::AdoptSessionTokenLocked(Participant& participant, const std::string& text) {
  const std::optional<SessionToken> token = ParseSessionToken(text);
  if (!token) return;
  by_session_[token->key] = participant.number;
  participant.session_key = token->key;
  participant.session_secret = token->secret;
  participant.session_token = token->text;
}

void Room::AdoptNames(const std::vector<SharedName>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const SharedName& shared : names) names_elsewhere_[FoldUsername(shared.name)] = Member{shared.name, shared.participant};
}

void Room::Accept(ChatMessage message, Audience audience, std::uint64_t participant, std::string_view old_name,
                  bool frees_ours) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || message.id <= last_id_) return;
  last_id_ = message.id;
  // A participant of this room (issued here, or moved here with its session), as opposed to one of
  // another room, whose names this room lists from the notices. One whose session moved away, or
  // that this room forgot, counts as another room's.
  const bool ours = participants_.contains(participant);
  const auto forget_elsewhere = [&](const std::string& name) {
    const auto found = names_elsewhere_.find(FoldUsername(name));
    if (found != names_elsewhere_.end() && found->second.participant == participant) names_elsewhere_.erase(found);
  };
  const bool rename = message.kind == MessageKind::kNotice && !old_name.empty();
  if (!ours && (message.kind == MessageKind::kJoin || rename)) {
    if (rename) forget_elsewhere(std::string(old_name));
    names_elsewhere_[FoldUsername(message.from)] = Member{message.from, participant};
  } else if (!ours && message.kind == MessageKind::kLeave) {
    forget_elsewhere(message.from);
  } else if (ours && frees_ours && message.kind == MessageKind::kLeave) {
    // The ledger freed a name this room still holds: it took this process for dead.
    const auto found = participants_.find(participant);
    if (found != participants_.end() && found->second.folded_name == FoldUsername(message.from)) {
      spdlog::warn("the room's store freed {}: this server was taken for dead", DescribeLocked(found->second));
      ForgetNameLocked(found->second);
      ForgetParticipantIfUnusedLocked(participant);
    }
  }
  if (message.kind == MessageKind::kChat || message.kind == MessageKind::kDirect) ++messages_;

  const MessagePtr stored = StoreLocked(std::move(message), audience);
  if (audience.from == Audience::kEverybody) {
    for (const Listener& listener : listeners_) DeliverLocked(stored, listener.subscriber);
  } else {
    for (const std::uint64_t between : {audience.from, audience.to}) {
      if (between == audience.to && audience.to == audience.from) break;
      const auto found = participants_.find(between);
      if (found == participants_.end()) continue;
      for (Subscriber* subscriber : found->second.subscribers) DeliverLocked(stored, subscriber);
    }
  }
  EvictOverflowingLocked();
}

}  // namespace chat
