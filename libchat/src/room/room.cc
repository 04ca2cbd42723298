#include "room/room.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "chat/rules.h"
#include "common/shutdown.h"

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

}  // namespace

Room::Room(RoomOptions options)
    : options_(std::move(options)),
      last_id_(options_.first_id - 1),
      last_participant_(options_.participant_base),
      history_(options_.history_messages, options_.history_bytes, options_.first_id) {}

Result<Registration> Room::Register(const Caller& caller, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();
  Result<Participant*> resolved = ResolveLocked(caller, true);
  if (!resolved.ok()) return resolved.status();
  Participant& state = **resolved;
  const std::uint64_t number = state.number;
  Result<RegisterPlan> plan = PlanRegisterLocked(state, caller, name);
  if (!plan.ok()) return plan.status();
  if (plan->answer) return *std::move(plan->answer);
  ApplyClaimLocked(state, plan->claim);

  // The announcement may have overflowed the caller's own stream. Its eviction then frees the name
  // again (unless a session holds it), and the caller must not be told it has it.
  EvictOverflowingLocked();
  const auto after = participants_.find(number);
  if (after == participants_.end() || after->second.folded_name != FoldUsername(name)) {
    return Status(StatusCode::kResourceExhausted,
                  "too slow: your stream fell too far behind and was ended, and the name with it; listen and "
                  "register again");
  }
  return Registration{RegistrationCode::kAdded, std::move(plan->claim.answer), after->second.session_token};
}

Result<Room::RegisterPlan> Room::PlanRegisterLocked(Participant& state, const Caller& caller, std::string_view name) {
  const std::uint64_t number = state.number;
  if (Status problem = CheckUsername(name); !problem.ok()) {
    ForgetParticipantIfUnusedLocked(number);
    return RegisterPlan{Registration{RegistrationCode::kInvalid, "invalid name: " + problem.message(), {}}, {}};
  }

  const std::string folded = FoldUsername(name);
  RegisterPlan plan;
  plan.claim.participant = number;
  plan.claim.name = std::string(name);
  if (auto owner = members_.find(folded); owner != members_.end()) {
    const Member& member = owner->second;
    if (member.participant != number) {
      ForgetParticipantIfUnusedLocked(number);
      return RegisterPlan{
          Registration{RegistrationCode::kTaken, fmt::format("{} is taken; choose another name", member.name), {}}, {}};
    }
    if (member.name == name) {
      plan.answer = Registration{RegistrationCode::kAdded, fmt::format("you are {}", name), state.session_token};
      return plan;
    }
    // The same name in another case: a rename in all but the key.
    if (Status flood = TakeSendTokenLocked(state, "changing names"); !flood.ok()) return flood;
    if (Status flood = TakeSourceTokenLocked(sources_.at(state.source).registrations, options_.max_registration_rate,
                                             options_.max_registration_burst, "changing names");
        !flood.ok()) {
      return flood;
    }
    plan.claim.old_name = member.name;
    plan.claim.answer = fmt::format("you are {}", name);
    return plan;
  }
  if (!state.folded_name.empty()) {
    // A rename: the new name is free here, so the old one goes.
    Status flood = TakeSendTokenLocked(state, "changing names");
    if (flood.ok()) {
      flood = TakeSourceTokenLocked(sources_.at(state.source).registrations, options_.max_registration_rate,
                                    options_.max_registration_burst, "changing names");
    }
    if (!flood.ok()) return flood;
    plan.claim.old_name = members_.at(state.folded_name).name;
    plan.claim.answer = fmt::format("you are now {}", name);
    return plan;
  }
  Source& source = sources_.at(state.source);
  Status refused;
  if (members_.size() >= options_.max_users) {
    spdlog::warn("refused {} ({}): {} users registered, the limit", name, caller.peer, members_.size());
    refused = Status(StatusCode::kResourceExhausted,
                     fmt::format("the server is full ({} users); try again later", options_.max_users));
  } else if (source.names >= options_.max_names_per_address) {
    spdlog::info("refused {} ({}): its address holds {} names, the limit", name, caller.peer, source.names);
    refused = Status(StatusCode::kResourceExhausted,
                     fmt::format("your address holds {} names, the most it may", options_.max_names_per_address));
  } else {
    refused = TakeSourceTokenLocked(source.registrations, options_.max_registration_rate,
                                    options_.max_registration_burst, "taking names");
  }
  if (!refused.ok()) {
    ForgetParticipantIfUnusedLocked(number);
    return refused;
  }
  plan.claim.answer = fmt::format("welcome, {}", name);
  return plan;
}

void Room::ApplyClaimLocked(Participant& state, const NameClaim& claim) {
  if (claim.old_name.empty()) {
    BindNameLocked(state, claim.name);
    return;
  }
  const std::string folded = FoldUsername(claim.name);
  if (state.folded_name == folded) {
    RenameLocked(state, members_.at(folded), claim.name);
    return;
  }
  auto old = members_.extract(state.folded_name);
  old.key() = folded;
  state.folded_name = folded;
  RenameLocked(state, members_.insert(std::move(old)).position->second, claim.name);
}

Result<std::uint64_t> Room::Post(const Caller& caller, std::string_view claimed_name, std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();
  Participant* state = nullptr;
  Result<Outgoing> outgoing = CheckPostLocked(caller, claimed_name, text, state);
  if (!outgoing.ok()) return outgoing.status();
  ++messages_;
  if (outgoing->message.kind == MessageKind::kChat) {
    const std::uint64_t id = BroadcastLocked(std::move(outgoing->message));
    EvictOverflowingLocked();  // may announce leaves, which take later ids
    return id;
  }
  const std::uint64_t to = outgoing->audience.to;
  const MessagePtr message = SequenceLocked(std::move(outgoing->message), outgoing->audience);
  for (Subscriber* subscriber : state->subscribers) DeliverLocked(message, subscriber);
  if (to != state->number) {
    for (Subscriber* subscriber : participants_.at(to).subscribers) DeliverLocked(message, subscriber);
  }
  EvictOverflowingLocked();
  return message->id;
}

Result<Room::Outgoing> Room::CheckPostLocked(const Caller& caller, std::string_view claimed_name,
                                             std::string_view text, Participant*& state) {
  Result<Participant*> resolved = ResolveLocked(caller, false);
  if (!resolved.ok()) return resolved.status();
  if (*resolved == nullptr || (*resolved)->folded_name.empty()) {
    return Status(StatusCode::kFailedPrecondition, "register first: call AddUser with a name");
  }
  state = *resolved;
  const Member& sender = members_.at(state->folded_name);
  if (!claimed_name.empty() && !SameUsername(claimed_name, sender.name)) {
    return Status(StatusCode::kPermissionDenied,
                  fmt::format("you are {} and cannot send as another user", sender.name));
  }
  if (Status flood = TakeSendTokenLocked(*state, "sending"); !flood.ok()) return flood;
  if (Status flood = TakeSourceTokenLocked(sources_.at(state->source).sends, options_.max_address_rate,
                                           options_.max_address_burst, "sending");
      !flood.ok()) {
    return flood;
  }
  if (Status problem = CheckMessageText(text, options_.max_text_bytes); !problem.ok()) return problem;

  const std::string_view trimmed = TrimText(text);
  if (!IsDirectMessage(trimmed)) {
    return Outgoing{NewChatMessage(MessageKind::kChat, sender.name, std::string(trimmed)), {}};
  }
  Result<Mention> mention = ParseMention(trimmed);
  if (!mention.ok()) return mention.status();
  if (options_.ledger != nullptr) {
    // The ledger knows every room's names as they are when it sequences the message, which the
    // names copied here may not yet show: it finds the recipient, or answers NOT_FOUND.
    Outgoing direct{NewChatMessage(MessageKind::kDirect, sender.name, std::string(trimmed)),
                    Audience{state->number, Audience::kEverybody}};
    direct.message.to = mention->recipient;
    return direct;
  }
  const std::string folded_recipient = FoldUsername(mention->recipient);
  const Member* recipient = nullptr;
  if (const auto here = members_.find(folded_recipient); here != members_.end()) {
    recipient = &here->second;
  } else {
    return Status(StatusCode::kNotFound, fmt::format("no such user: {}", mention->recipient));
  }
  Outgoing direct{NewChatMessage(MessageKind::kDirect, sender.name, std::string(trimmed)),
                  Audience{state->number, recipient->participant}};
  direct.message.to = recipient->name;
  return direct;
}

Result<std::string> Room::Leave(const Caller& caller) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();
  Result<Participant*> resolved = ResolveLocked(caller, false);
  if (!resolved.ok()) return resolved.status();
  if (*resolved == nullptr || (*resolved)->folded_name.empty()) {
    return Status(StatusCode::kFailedPrecondition, "you have no name to leave");
  }
  Participant& state = **resolved;
  const std::uint64_t number = state.number;
  const std::string name = members_.at(state.folded_name).name;
  // Its streams end first, so that they end with the goodbye rather than the room's notice of it.
  while (!state.subscribers.empty()) {
    Subscriber* const subscriber = state.subscribers.back();
    DropStreamLocked(listener_index_.at(subscriber));
    subscriber->Close(Status(StatusCode::kOk, "you left"));
  }
  ReleaseNameLocked(state, "");
  ForgetParticipantIfUnusedLocked(number);
  EvictOverflowingLocked();
  return fmt::format("goodbye, {}", name);
}

Result<MessageHistory::Page> Room::History(const Caller& caller, std::uint64_t before_id, std::uint32_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Closed();
  Result<Participant*> resolved = ResolveLocked(caller, false);
  if (!resolved.ok()) return resolved.status();
  if (*resolved == nullptr || (*resolved)->folded_name.empty()) {
    return Status(StatusCode::kFailedPrecondition, "register first: call AddUser with a name");
  }
  if (limit == 0 || limit > kMaxHistoryRequest) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("limit must be 1 to {}, not {}", kMaxHistoryRequest, limit));
  }
  return history_.Before((*resolved)->number, before_id, limit);
}

Result<std::vector<std::string>> Room::Usernames() const {
  std::vector<std::pair<std::string, std::string>> by_folded;  // sorted on the folded name
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Closed();
    by_folded.reserve(members_.size() + names_elsewhere_.size());
    for (const auto& [folded, member] : members_) by_folded.emplace_back(folded, member.name);
    for (const auto& [folded, member] : names_elsewhere_) by_folded.emplace_back(folded, member.name);
  }
  std::sort(by_folded.begin(), by_folded.end());
  // A shared room may briefly know a name both as its own and as another room's, while a notice
  // that moved it is on its way.
  by_folded.erase(std::unique(by_folded.begin(), by_folded.end(),
                              [](const auto& a, const auto& b) { return a.first == b.first; }),
                  by_folded.end());
  std::vector<std::string> names;
  names.reserve(by_folded.size());
  for (auto& entry : by_folded) names.push_back(std::move(entry.second));
  return names;
}

Room::Stats Room::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats stats{members_.size(), listeners_.size(), participants_.size(), sources_.size(),
              by_session_.size(), 0, 0, messages_, evictions_, history_.size(), history_.bytes(),
              sequenced_, participant_floods_, address_floods_, resumes_, gaps_};
  for (const auto& [number, participant] : participants_) {
    if (!participant.folded_name.empty() && participant.subscribers.empty() && participant.session_used) ++stats.held;
  }
  return stats;
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
  for (auto& [number, participant] : participants_) participant.subscribers.clear();
  for (auto& [address, source] : sources_) source.streams = 0;
}

MessagePtr Room::SequenceLocked(ChatMessage message, Audience audience) {
  message.id = ++last_id_;
  message.server_time = options_.system_now();
  return StoreLocked(std::move(message), audience);
}

MessagePtr Room::StoreLocked(ChatMessage message, Audience audience) {
  spdlog::debug("message {} {} from '{}' to '{}' ({} bytes)", message.id, KindName(message.kind), message.from,
                message.to, message.text.size());
  ++sequenced_[static_cast<std::size_t>(message.kind)];
  auto sequenced = std::make_shared<SequencedMessage>();
  static_cast<ChatMessage&>(*sequenced) = std::move(message);
  sequenced->accepted_at = options_.steady_now();
  if (options_.encode) sequenced->wire = options_.encode(*sequenced);
  history_.Add(sequenced, audience);
  for (Subscriber* observer : observers_) DeliverLocked(sequenced, observer);
  return sequenced;
}

std::uint64_t Room::BroadcastLocked(ChatMessage message) {
  const MessagePtr shared = SequenceLocked(std::move(message));
  for (const Listener& listener : listeners_) DeliverLocked(shared, listener.subscriber);
  return shared->id;
}

// Every attempt counts, accepted or not, so that a flood of bad messages is slowed down too.
Status Room::TakeSendTokenLocked(Participant& state, std::string_view what) {
  if (state.sends.TryTake(options_.steady_now())) return Status::Ok();
  ++participant_floods_;
  return Status(StatusCode::kResourceExhausted,
                fmt::format("{} too fast (at most {:g} per second, bursts of {:g})", what, options_.max_rate,
                            options_.max_burst));
}

Status Room::TakeSourceTokenLocked(TokenBucket& bucket, double rate, double burst, std::string_view what) {
  if (bucket.TryTake(options_.steady_now())) return Status::Ok();
  ++address_floods_;
  return Status(StatusCode::kResourceExhausted,
                fmt::format("{} too fast from your address (at most {:g} per second, bursts of {:g})", what, rate, burst));
}

void Room::BindNameLocked(Participant& state, std::string_view name) {
  state.folded_name = FoldUsername(name);
  members_[state.folded_name] = Member{std::string(name), state.number};
  ++sources_.at(state.source).names;
  OpenSessionLocked(state);
  if (state.subscribers.empty()) SetNameDeadlineLocked(state);
  spdlog::info("join {}", DescribeLocked(state));
  if (options_.ledger != nullptr) return;  // the ledger sequenced the notice with the name
  BroadcastLocked(NewChatMessage(MessageKind::kJoin, name, fmt::format("{} joined", name)));
}

void Room::RenameLocked(Participant& state, Member& member, std::string_view new_name) {
  const std::string old_name = std::exchange(member.name, std::string(new_name));
  spdlog::info("rename {} -> {}", old_name, DescribeLocked(state));
  if (options_.ledger != nullptr) return;  // the ledger sequenced the notice with the name
  BroadcastLocked(
      NewChatMessage(MessageKind::kNotice, new_name, fmt::format("{} is now known as {}", old_name, new_name)));
}

void Room::ReleaseNameLocked(Participant& state, std::string_view why) {
  spdlog::info("leave {}{}{}", DescribeLocked(state), why.empty() ? "" : ": ", why);
  const std::string folded = state.folded_name;
  std::string name = ForgetNameLocked(state);
  std::string text = why.empty() ? fmt::format("{} left", name) : fmt::format("{} left ({})", name, why);
  ChatMessage leave = NewChatMessage(MessageKind::kLeave, name, std::move(text));
  if (options_.ledger != nullptr) {
    leave.server_time = options_.system_now();
    options_.ledger->Release(state.number, folded, std::move(leave));
    return;
  }
  BroadcastLocked(std::move(leave));
}

std::string Room::ForgetNameLocked(Participant& state) {
  const auto member = members_.find(state.folded_name);
  std::string name = std::move(member->second.name);
  members_.erase(member);
  state.folded_name.clear();
  state.name_deadline.reset();
  --sources_.at(state.source).names;
  // The session ends with the name: its token is never accepted again.
  by_session_.erase(state.session_key);
  state.session_key.clear();
  state.session_secret = {};
  state.session_token.clear();
  state.session_used = false;
  return name;
}

}  // namespace chat
