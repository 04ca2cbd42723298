// The room's kept history: the latest messages it sequenced, each with who may see it again.
//
// Bounded by a count and a byte budget; the oldest go first. Ids are those of one room's run: every
// message the room sequences is added, in id order, so the ids kept are contiguous. Not
// thread-safe: the room's lock guards it.
#ifndef CHAT_SRC_ROOM_MESSAGE_HISTORY_H_
#define CHAT_SRC_ROOM_MESSAGE_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "room/sequenced_message.h"

namespace chat {

// Who a kept message is replayed to: everybody, or (a direct message) the two participants it was
// between. Participants are the room's numbers for a session or a connection (room.h), never
// reused, so a later holder of the same name is another participant and sees none of it.
struct Audience {
  static constexpr std::uint64_t kEverybody = 0;
  std::uint64_t from = kEverybody;
  std::uint64_t to = kEverybody;

  bool Includes(std::uint64_t participant) const {
    return from == kEverybody || participant == from || participant == to;
  }
};

// What a stream that resumes after an id gets: the kept messages after it, and whether some after
// it are no longer kept.
struct Catchup {
  std::vector<MessagePtr> messages;  // oldest first
  bool gap = false;                  // messages after the id are no longer kept (or never were here)
  std::uint64_t missed = 0;          // when gap: how many ids of this run were dropped after the id
  bool before_run = false;           // when gap: the id is from before this run (the server restarted)
  std::uint64_t last_missed_id = 0;  // when gap: the id just before the first one in `messages`
};

class MessageHistory {
 public:
  // Keeps at most `max_messages` messages and `max_bytes` of them (ByteCost), the first of this
  // run numbered `first_id`. 0 messages keeps none.
  MessageHistory(std::size_t max_messages, std::size_t max_bytes, std::uint64_t first_id);

  // Keeps `message`, whose id must be the next one, and drops the oldest while over a bound.
  void Add(MessagePtr message, Audience audience);

  // The last `count` messages `participant` may see, oldest first.
  std::vector<MessagePtr> Last(std::uint64_t participant, std::size_t count) const;

  // Every kept message after `after_id` that `participant` may see, and what is missing. `after_id`
  // must not be above the last id added.
  Catchup After(std::uint64_t participant, std::uint64_t after_id) const;

  // Up to `count` messages `participant` may see before `before_id` (0: the latest), oldest first;
  // `complete` when nothing this run sequenced before them was dropped.
  struct Page {
    std::vector<MessagePtr> messages;
    bool complete = false;
  };
  Page Before(std::uint64_t participant, std::uint64_t before_id, std::size_t count) const;

  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }

  // What one message counts against the byte budget: its texts and its encoding, and the fixed cost
  // of keeping it.
  static std::size_t ByteCost(const SequencedMessage& message);

 private:
  struct Entry {
    MessagePtr message;
    Audience audience;
    std::size_t bytes;
  };

  // The position of the first entry whose id is above `id`.
  std::size_t FirstAfter(std::uint64_t id) const;

  const std::size_t max_messages_;
  const std::size_t max_bytes_;
  const std::uint64_t first_id_;
  std::deque<Entry> entries_;  // in id order, contiguous
  std::size_t bytes_ = 0;
  std::uint64_t dropped_through_ = 0;  // the last id dropped; 0 when none was
};

}  // namespace chat

#endif  // CHAT_SRC_ROOM_MESSAGE_HISTORY_H_
