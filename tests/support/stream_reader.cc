#include "support/stream_reader.h"

namespace chat::testing {

std::string NameOf(StreamRpc rpc) { return rpc == StreamRpc::kListen ? "Listen" : "Subscribe"; }

StreamReader::StreamReader(Chat::Stub& stub, grpc::ClientContext* context, StreamRpc rpc,
                           const ListenRequest& request) {
  if (rpc == StreamRpc::kListen) {
    listen_ = stub.Listen(context, request);
  } else {
    batches_ = stub.Subscribe(context, request);
  }
}

void StreamReader::WaitForInitialMetadata() {
  if (listen_) {
    listen_->WaitForInitialMetadata();
  } else {
    batches_->WaitForInitialMetadata();
  }
}

bool StreamReader::ReadWrite(std::vector<Message>* messages) {
  messages->clear();
  if (listen_) {
    Message message;
    if (!listen_->Read(&message)) return false;
    messages->push_back(std::move(message));
    return true;
  }
  MessageBatch batch;
  if (!batches_->Read(&batch)) return false;
  messages->assign(batch.messages().begin(), batch.messages().end());
  return true;
}

bool StreamReader::Read(Message* message) {
  std::vector<Message> next;
  while (unread_.empty()) {
    if (!ReadWrite(&next)) return false;
    unread_.assign(next.begin(), next.end());  // a batch is never empty, but a loop costs nothing
  }
  *message = std::move(unread_.front());
  unread_.pop_front();
  return true;
}

grpc::Status StreamReader::Finish() { return listen_ ? listen_->Finish() : batches_->Finish(); }

}  // namespace chat::testing
