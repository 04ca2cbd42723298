#include "room/message_history.h"

#include <algorithm>
#include <utility>

namespace chat {

MessageHistory::MessageHistory(std::size_t max_messages, std::size_t max_bytes, std::uint64_t first_id)
    : max_messages_(max_messages), max_bytes_(max_bytes), first_id_(first_id) {}

std::size_t MessageHistory::ByteCost(const SequencedMessage& message) {
  // The texts are held twice, as strings and in the encoding; the rest is the objects around them.
  constexpr std::size_t kFixedCost = 256;
  return 2 * (message.text.size() + message.from.size() + message.to.size()) + kFixedCost;
}

void MessageHistory::Add(MessagePtr message, Audience audience) {
  const std::size_t cost = ByteCost(*message);
  entries_.push_back(Entry{std::move(message), audience, cost});
  bytes_ += cost;
  while (!entries_.empty() && (entries_.size() > max_messages_ || bytes_ > max_bytes_)) {
    dropped_through_ = entries_.front().message->id;
    bytes_ -= entries_.front().bytes;
    entries_.pop_front();
  }
}

std::vector<MessagePtr> MessageHistory::Last(std::uint64_t participant, std::size_t count) const {
  std::vector<MessagePtr> last;
  for (auto entry = entries_.rbegin(); entry != entries_.rend() && last.size() < count; ++entry) {
    if (entry->audience.Includes(participant)) last.push_back(entry->message);
  }
  std::reverse(last.begin(), last.end());
  return last;
}

Catchup MessageHistory::After(std::uint64_t participant, std::uint64_t after_id) const {
  Catchup catchup;
  const std::uint64_t dropped_in_run = dropped_through_ == 0 ? 0 : dropped_through_ - first_id_ + 1;
  if (after_id + 1 < first_id_) {
    catchup.gap = true;
    catchup.before_run = true;
    catchup.missed = dropped_in_run;
    catchup.last_missed_id = std::max(first_id_ - 1, dropped_through_);
  } else if (after_id < dropped_through_) {
    catchup.gap = true;
    catchup.missed = dropped_through_ - after_id;
    catchup.last_missed_id = dropped_through_;
  }
  for (std::size_t i = FirstAfter(after_id); i < entries_.size(); ++i) {
    if (entries_[i].audience.Includes(participant)) catchup.messages.push_back(entries_[i].message);
  }
  return catchup;
}

MessageHistory::Page MessageHistory::Before(std::uint64_t participant, std::uint64_t before_id,
                                            std::size_t count) const {
  Page page;
  std::size_t end = before_id == 0 ? entries_.size() : FirstAfter(before_id - 1);
  // Walks back from `end`; stops at the first visible message beyond `count`, which proves the page
  // is not the whole of what is kept.
  bool more_kept = false;
  while (end > 0) {
    const Entry& entry = entries_[--end];
    if (!entry.audience.Includes(participant)) continue;
    if (page.messages.size() == count) {
      more_kept = true;
      break;
    }
    page.messages.push_back(entry.message);
  }
  std::reverse(page.messages.begin(), page.messages.end());
  page.complete = !more_kept && dropped_through_ == 0;
  return page;
}

std::size_t MessageHistory::FirstAfter(std::uint64_t id) const {
  const auto first = std::partition_point(entries_.begin(), entries_.end(),
                                          [id](const Entry& entry) { return entry.message->id <= id; });
  return static_cast<std::size_t>(first - entries_.begin());
}

}  // namespace chat
