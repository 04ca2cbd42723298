// Plain C++ forms of what travels between a chat server and its clients.
#ifndef CHAT_MESSAGE_H_
#define CHAT_MESSAGE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "chat/status.h"

namespace chat {

// What an entry in the room's stream is. Matches chat.Message.Kind on the wire.
enum class MessageKind {
  kChat = 0,    // said to the whole room
  kDirect = 1,  // "@name text": delivered only to the sender and the recipient
  kJoin = 2,    // `from` took a name
  kLeave = 3,   // `from` gave up its name; `text` says why
  kNotice = 4,  // any other announcement; `text` says what
  kGap = 5,     // a resumed stream missed messages the server no longer keeps: `text` says how many,
                // and `id` is the last id missed
};

// One entry of the room's stream, as every subscriber receives it.
struct ChatMessage {
  // The room sequence number. Every accepted message and notice takes the next one, so a subscriber
  // sees increasing ids, with gaps where messages were not addressed to it.
  std::uint64_t id = 0;
  // When the server accepted the message.
  std::chrono::system_clock::time_point server_time;
  MessageKind kind = MessageKind::kChat;
  // The author; for kJoin, kLeave and kNotice, the user the notice is about (may be empty).
  std::string from;
  // The recipient of a kDirect message; empty otherwise.
  std::string to;
  // The text as the author wrote it, trimmed, including the leading "@name" of a direct message.
  // For kJoin, kLeave and kNotice, a sentence for people ("bob joined").
  std::string text;
};

// How AddUser answered. Matches chat.MessageResponse.Code on the wire.
enum class RegistrationCode {
  kNone = 0,     // not a registration answer
  kAdded = 1,    // the name is now the caller's
  kTaken = 2,    // somebody else has the name (compared ignoring case)
  kInvalid = 3,  // the name breaks the naming rules
};

// Receives messages, one at a time and in room order (Client::Listen, Server::Observe, bots).
using MessageHandler = std::function<void(const ChatMessage& message)>;
// Told once why a stream of messages ended.
using EndHandler = std::function<void(const Status& reason)>;

// AddUser's answer: the code and a sentence for the person choosing a name.
struct Registration {
  RegistrationCode code = RegistrationCode::kNone;
  std::string message;
  // On kAdded, the session's secret token (chat/client.h keeps and sends it by itself); empty
  // otherwise.
  std::string session;
};

// A page of the room's history (Client::History), oldest first.
struct HistoryPage {
  std::vector<ChatMessage> messages;
  bool complete = false;  // false when the server's kept history does not reach further back
};

}  // namespace chat

#endif  // CHAT_MESSAGE_H_
