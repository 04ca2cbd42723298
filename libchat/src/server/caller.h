// Who a server call comes from, as the room knows callers (room.h): its connection's peer, and the
// session token in its "chat-session" metadata if it has one.
#ifndef CHAT_SRC_SERVER_CALLER_H_
#define CHAT_SRC_SERVER_CALLER_H_

#include <string_view>

#include <grpcpp/server_context.h>

#include "room/room.h"

namespace chat {

// The metadata key a client sends its session token under (docs/protocol.md, "Sessions").
inline constexpr std::string_view kSessionMetadata = "chat-session";
// The initial metadata of an accepted Listen: how many replayed messages come before live ones.
inline constexpr std::string_view kReplayCountMetadata = "chat-replay-count";

inline Caller CallerOf(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  const auto token = metadata.find(grpc::string_ref(kSessionMetadata.data(), kSessionMetadata.size()));
  if (token == metadata.end()) return Caller(context.peer());
  return Caller(context.peer(), std::string(token->second.data(), token->second.size()));
}

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLER_H_
