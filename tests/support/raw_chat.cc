#include "support/raw_chat.h"

#include <grpcpp/create_channel.h>

namespace chat::testing {

RawChat::RawChat(const std::string& address) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
  stub_ = Chat::NewStub(channel_);
}

grpc::Status RawChat::AddUser(const std::string& name, MessageResponse* response) {
  grpc::ClientContext context;
  User user;
  user.set_username(name);
  return stub_->AddUser(&context, user, response);
}

grpc::Status RawChat::Send(const std::string& text, const std::string& claimed_name) {
  grpc::ClientContext context;
  Message message;
  message.set_msg(text);
  message.mutable_user()->set_username(claimed_name);
  MessageResponse response;
  return stub_->SendMessage(&context, message, &response);
}

}  // namespace chat::testing
