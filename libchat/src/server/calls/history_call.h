#ifndef CHAT_SRC_SERVER_CALLS_HISTORY_CALL_H_
#define CHAT_SRC_SERVER_CALLS_HISTORY_CALL_H_

#include "server/unary_call.h"

namespace chat {

// History: a page of the kept messages the caller may see (Room::History), oldest first.
class HistoryCall final
    : public UnaryCall<HistoryCall, HistoryRequest, MessageList, &ChatService::RequestHistory, Rpc::kHistory> {
 private:
  friend UnaryCall;
  using UnaryCall::UnaryCall;

  grpc::Status Handle();
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALLS_HISTORY_CALL_H_
