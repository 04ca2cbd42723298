// The room's streams: subscribing with a replay, delivering, evicting, and what a stream's end does
// to its participant's name. Part of Room (room.h).
#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/shutdown.h"
#include "room/room.h"

namespace chat {
namespace {

std::string GapText(const Catchup& catchup, std::uint64_t after_id) {
  if (!catchup.before_run) {
    return fmt::format("{} messages of the room after #{} were missed: the server no longer keeps them",
                       catchup.missed, after_id);
  }
  if (catchup.missed == 0) {
    return fmt::format("the server restarted since #{}: what was said before the restart is lost", after_id);
  }
  return fmt::format("the server restarted since #{}: what was said before the restart is lost, and {} messages "
                     "since are no longer kept",
                     after_id, catchup.missed);
}

}  // namespace

Status AfterIdBeyondLatest(std::uint64_t after_id, std::uint64_t last_id) {
  return Status(StatusCode::kOutOfRange, fmt::format("after_id {} is beyond the latest message, #{}", after_id, last_id));
}

Result<std::size_t> Room::Subscribe(const Caller& caller, Subscriber* subscriber, ListenFrom from) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status(StatusCode::kUnavailable, kShuttingDownMessage);
  if (from.history > kMaxHistoryRequest) {
    return Status(StatusCode::kInvalidArgument, fmt::format("history asks for {} messages; at most {} may be replayed",
                                                            from.history, kMaxHistoryRequest));
  }
  if (from.history > 0 && from.after_id > 0) {
    return Status(StatusCode::kInvalidArgument, "ask for either history or after_id, not both");
  }
  if (from.after_id > last_id_) return AfterIdBeyondLatest(from.after_id, last_id_);
  Result<Participant*> resolved = ResolveLocked(caller, true);
  if (!resolved.ok()) return resolved.status();
  Participant& participant = **resolved;
  Source& source = sources_.at(participant.source);
  Status refused;
  if (participant.subscribers.size() >= options_.max_streams_per_connection) {
    refused = Status(StatusCode::kResourceExhausted,
                     fmt::format("this connection has {} streams open, the most it may",
                                 options_.max_streams_per_connection));
  } else if (source.streams >= options_.max_streams_per_address) {
    refused = Status(StatusCode::kResourceExhausted,
                     fmt::format("your address has {} streams open, the most it may", options_.max_streams_per_address));
  } else if (listeners_.size() >= options_.max_streams) {
    spdlog::warn("refused a stream of {}: {} streams open, the limit", DescribeLocked(participant), listeners_.size());
    refused = Status(StatusCode::kResourceExhausted,
                     fmt::format("the server has {} streams open, the most it may; try again later",
                                 options_.max_streams));
  }
  if (!refused.ok()) {
    ForgetParticipantIfUnusedLocked(participant.number);
    return refused;
  }
  const std::vector<MessagePtr> replay = ReplayLocked(participant, from);
  if (from.after_id > 0) {
    ++resumes_;
    if (!replay.empty() && replay.front()->kind == MessageKind::kGap) ++gaps_;
  }
  participant.subscribers.push_back(subscriber);
  participant.name_deadline.reset();
  ++source.streams;
  listener_index_[subscriber] = listeners_.size();
  listeners_.push_back(Listener{subscriber, participant.number});
  spdlog::debug("listen {} ({} streams, {} replayed)", DescribeLocked(participant), listeners_.size(), replay.size());
  // Under the lock that sequences every message: nothing can fall between the replay and the first
  // live message, nor be in both.
  if (!replay.empty() && !subscriber->Replay(replay)) overflowing_.push_back(subscriber);
  EvictOverflowingLocked();
  return replay.size();
}

std::vector<MessagePtr> Room::ReplayLocked(const Participant& participant, ListenFrom from) {
  if (from.history > 0) return history_.Last(participant.number, from.history);
  if (from.after_id == 0) return {};
  Catchup catchup = history_.After(participant.number, from.after_id);
  if (!catchup.gap) return std::move(catchup.messages);
  ChatMessage gap;
  gap.id = catchup.last_missed_id;
  gap.kind = MessageKind::kGap;
  gap.server_time = options_.system_now();
  gap.text = GapText(catchup, from.after_id);
  auto sequenced = std::make_shared<SequencedMessage>();
  static_cast<ChatMessage&>(*sequenced) = std::move(gap);
  sequenced->accepted_at = options_.steady_now();
  if (options_.encode) sequenced->wire = options_.encode(*sequenced);
  std::vector<MessagePtr> replay;
  replay.reserve(catchup.messages.size() + 1);
  replay.push_back(std::move(sequenced));
  std::move(catchup.messages.begin(), catchup.messages.end(), std::back_inserter(replay));
  return replay;
}

void Room::Unsubscribe(Subscriber* subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto index = listener_index_.find(subscriber);
  if (index == listener_index_.end()) return;
  Participant& participant = DropStreamLocked(index->second);
  const std::uint64_t number = participant.number;
  spdlog::debug("stream ended {} ({} streams)", DescribeLocked(participant), listeners_.size());
  AfterStreamEndedLocked(participant, "");
  ForgetParticipantIfUnusedLocked(number);
  EvictOverflowingLocked();
}

Status Room::Observe(Subscriber* observer) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status(StatusCode::kUnavailable, kShuttingDownMessage);
  observers_.push_back(observer);
  return Status::Ok();
}

void Room::Unobserve(Subscriber* observer) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase(observers_, observer);
}

void Room::DeliverLocked(const MessagePtr& message, Subscriber* subscriber) {
  if (!subscriber->Deliver(message)) overflowing_.push_back(subscriber);
}

// Evicting a subscriber may announce a leave, which may overflow others; the loop runs until none
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
    subscriber->Close(Status(StatusCode::kResourceExhausted, "too slow: the stream fell too far behind"));
    ++evictions_;
    Participant& participant = DropStreamLocked(index->second);
    const std::uint64_t number = participant.number;
    spdlog::info("evicted {}: too slow", DescribeLocked(participant));
    AfterStreamEndedLocked(participant, "too slow");
    ForgetParticipantIfUnusedLocked(number);
  }
  evicting_ = false;
}

Room::Participant& Room::DropStreamLocked(std::size_t index) {
  Subscriber* const subscriber = listeners_[index].subscriber;
  Participant& participant = participants_.at(listeners_[index].participant);
  listener_index_.erase(subscriber);
  if (index + 1 != listeners_.size()) {
    listeners_[index] = std::move(listeners_.back());
    listener_index_[listeners_[index].subscriber] = index;
  }
  listeners_.pop_back();
  std::erase(participant.subscribers, subscriber);
  --sources_.at(participant.source).streams;
  return participant;
}

void Room::AfterStreamEndedLocked(Participant& participant, std::string_view why) {
  if (!participant.subscribers.empty() || participant.folded_name.empty()) return;
  if (!participant.session_used) {
    ReleaseNameLocked(participant, why);
    return;
  }
  spdlog::info("holding {} for its session: no stream left", DescribeLocked(participant));
  SetNameDeadlineLocked(participant);
}

}  // namespace chat
