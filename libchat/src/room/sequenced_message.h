// A message as the room hands it on: sequenced once, then shared by every queue and by the history.
#ifndef CHAT_SRC_ROOM_SEQUENCED_MESSAGE_H_
#define CHAT_SRC_ROOM_SEQUENCED_MESSAGE_H_

#include <chrono>
#include <memory>
#include <string_view>

#include "chat/message.h"

namespace chat {

using SteadyTime = std::chrono::steady_clock::time_point;

// A message's encoding for the subscribers' transport (RoomOptions::encode), made once and sent by
// every stream. The transport defines it (wire/wire.h); the room only carries it, so it never sees
// the definition, and the streams that send it need no cast.
class WireMessage;

// A message the room has sequenced, shared by every queue it sits in until the last subscriber has
// sent it, and by the room's history while it is kept.
struct SequencedMessage : ChatMessage {
  SteadyTime accepted_at;                // RoomOptions::steady_now when it was sequenced
  // Null without RoomOptions::encode. A shared_ptr, whose deleter is made where WireMessage is
  // defined, so that the room can free one without its definition.
  std::shared_ptr<const WireMessage> wire;
};
using MessagePtr = std::shared_ptr<const SequencedMessage>;

// The kind's name in logs and metric labels: "chat", "direct", "join", "leave", "notice", "gap".
inline std::string_view KindName(MessageKind kind) {
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

}  // namespace chat

#endif  // CHAT_SRC_ROOM_SEQUENCED_MESSAGE_H_
