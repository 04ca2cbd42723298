// What one entry of the shared room's log (redis_log.h) holds: a message or notice, who may see it,
// and the name change a notice carries, written as fields joined by the unit separator (0x1F), so
// that the Lua scripts in Redis can write entries too (a leave notice for a node taken for dead).
//
//   version 1 | kind | server time (µs since the epoch) | from | to | audience from | audience to |
//   participant | old name | text
//
// The text goes last and may hold anything; names and numbers cannot hold the separator.
#ifndef CHAT_SRC_BACKEND_REDIS_LOG_RECORD_H_
#define CHAT_SRC_BACKEND_REDIS_LOG_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chat/message.h"
#include "room/message_history.h"

namespace chat {

struct LogRecord {
  ChatMessage message;           // its id is the entry's, and not written
  Audience audience;
  std::uint64_t participant = 0;  // whom a join, leave or rename is about
  // Set on a record that a session moved to this node (kind 9 in the entry, written by the resume
  // script in its old-name field): a record for the nodes, not a message for anyone. `participant`
  // and message.from say whose session it is.
  std::string moved_to;
  std::string old_name;          // the name a rename replaced; for a leave of a node taken for dead, the claim freed
};

std::string EncodeLogRecord(const LogRecord& record);

// A direct message's record around its recipient, for a script that finds the recipient in Redis:
// head + recipient's name + middle + recipient's participant + tail is the record.
struct DirectTemplate {
  std::string head;
  std::string middle;
  std::string tail;
};
DirectTemplate EncodeDirectTemplate(const LogRecord& record);

// The record of the entry `id`; nullopt for one that is not a record of this version.
std::optional<LogRecord> DecodeLogRecord(std::uint64_t id, std::string_view payload);

}  // namespace chat

#endif  // CHAT_SRC_BACKEND_REDIS_LOG_RECORD_H_
