#include "server/calls/history_call.h"

#include "server/caller.h"
#include "wire/wire.h"

namespace chat {

void HistoryCall::Ask() {
  env_.backend->History(CallerOf(context_), request_.before_id(), request_.limit(),
                        [this](Result<MessageHistory::Page> page) {
                          page_ = std::move(page);
                          Answered();
                        });
}

grpc::Status HistoryCall::Respond() {
  if (!page_->ok()) return ToGrpcStatus(page_->status());
  for (const MessagePtr& message : (*page_)->messages) ToWire(*message, response_.add_messages());
  response_.set_complete((*page_)->complete);
  return grpc::Status::OK;
}

}  // namespace chat
