#ifndef CHAT_SRC_SERVER_CALLS_HISTORY_CALL_H_
#define CHAT_SRC_SERVER_CALLS_HISTORY_CALL_H_

#include <optional>

#include "server/unary_call.h"

namespace chat {

// History: a page of the kept messages the caller may see (Room::History), oldest first.
class HistoryCall final
    : public UnaryCall<HistoryCall, HistoryRequest, MessageList, &ChatService::RequestHistory, Rpc::kHistory> {
 private:
  friend UnaryCall;
  using UnaryCall::UnaryCall;

  void Ask();
  grpc::Status Respond();

  std::optional<Result<MessageHistory::Page>> page_;  // the backend's answer
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_HISTORY_CALL_H_
