#include "support/raw_chat.h"

#include <vector>

#include <grpcpp/create_channel.h>

#include "client/connection.h"
#include "support/test_server.h"

namespace chat::testing {

RawChat::RawChat(const std::string& address) {
  channel_ = NewConnection(address, "");
  stub_ = Chat::NewStub(channel_);
  generic_stub_ = std::make_unique<grpc::GenericStub>(channel_);
}

grpc::Status RawChat::CallWithBytes(const std::string& method, const std::string& bytes, std::string* response) {
  grpc::ClientContext context;
  grpc::Slice slice(bytes);
  const grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer answer;
  grpc::Status status;
  grpc::CompletionQueue queue;
  const auto call = generic_stub_->PrepareUnaryCall(&context, method, request, &queue);
  call->StartCall();
  int finished = 0;
  call->Finish(&answer, &status, &finished);
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);  // the only operation on this queue: the Finish
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  std::vector<grpc::Slice> slices;
  if (status.ok() && answer.Dump(&slices).ok()) {
    response->clear();
    for (const grpc::Slice& part : slices) response->append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  return status;
}

std::unique_ptr<grpc::ClientContext> RawChat::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!session_.empty()) context->AddMetadata("chat-session", session_);
  context->set_deadline(std::chrono::system_clock::now() + kPatience);
  return context;
}

grpc::Status RawChat::AddUser(const std::string& name, MessageResponse* response) {
  User user;
  user.set_username(name);
  return stub_->AddUser(NewContext().get(), user, response);
}

grpc::Status RawChat::Send(const std::string& text, const std::string& claimed_name) {
  Message message;
  message.set_msg(text);
  message.mutable_user()->set_username(claimed_name);
  MessageResponse response;
  return stub_->SendMessage(NewContext().get(), message, &response);
}

grpc::Status RawChat::Leave(MessageResponse* response) {
  return stub_->Leave(NewContext().get(), LeaveRequest(), response);
}

grpc::Status RawChat::History(std::uint64_t before_id, std::uint32_t limit, MessageList* response) {
  HistoryRequest request;
  request.set_before_id(before_id);
  request.set_limit(limit);
  return stub_->History(NewContext().get(), request, response);
}

grpc::Status RawChat::RefusedListen(const ListenRequest& request, StreamRpc rpc) {
  const std::unique_ptr<grpc::ClientContext> context = NewContext();
  StreamReader stream(*stub_, context.get(), rpc, request);
  Message message;
  while (stream.Read(&message)) {
  }
  return stream.Finish();
}

}  // namespace chat::testing
