#include "server/calls/history_call.h"

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

grpc::Status HistoryCall::Handle() {
  const Result<MessageHistory::Page> page =
      env_.room->History(CallerOf(context_), request_.before_id(), request_.limit());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const MessagePtr& message : page->messages) ToWire(*message, response_.add_messages());
  response_.set_complete(page->complete);
  return grpc::Status::OK;
}

}  // namespace chat
