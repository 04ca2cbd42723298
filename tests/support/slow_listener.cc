#include "support/slow_listener.h"

#include <chrono>

#include <catch2/catch.hpp>
#include <grpcpp/support/channel_arguments.h>

#include "client/connection.h"

namespace chat::testing {
namespace {

void Register(Chat::Stub& stub, const std::string& name) {
  grpc::ClientContext context;
  User user;
  user.set_username(name);
  MessageResponse registered;
  REQUIRE(stub.AddUser(&context, user, &registered).ok());
  REQUIRE(registered.code() == MessageResponse::ADDED);
}

}  // namespace

std::unique_ptr<Chat::Stub> SmallWindowStub(const TestServer& server) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  return Chat::NewStub(NewConnection(server.address(), "", arguments));
}

SmallWindowStalledListener::SmallWindowStalledListener(const TestServer& server, const std::string& name,
                                                       StreamRpc rpc)
    : stub(SmallWindowStub(server)) {
  if (!name.empty()) Register(*stub, name);
  reader = std::make_unique<StreamReader>(*stub, &context, rpc);
  reader->WaitForInitialMetadata();
}

PacedListener::PacedListener(const TestServer& server, const std::string& name, int messages_per_second)
    : stub_(SmallWindowStub(server)) {
  Register(*stub_, name);
  reader_ = stub_->Listen(&context_, ListenRequest());
  reader_->WaitForInitialMetadata();
  thread_ = std::thread([this, messages_per_second] { Run(messages_per_second); });
}

PacedListener::~PacedListener() {
  context_.TryCancel();
  thread_.join();
}

std::vector<Message> PacedListener::Read() const {
  std::lock_guard<std::mutex> lock(mu_);
  return read_;
}

std::optional<grpc::Status> PacedListener::Ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

void PacedListener::Run(int messages_per_second) {
  const auto slot = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::seconds(1)) /
                    messages_per_second;
  auto next = std::chrono::steady_clock::now();
  Message message;
  while (reader_->Read(&message)) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      read_.push_back(message);
    }
    next += slot;
    std::this_thread::sleep_until(next);  // the pace itself, not a wait for a condition
  }
  const grpc::Status status = reader_->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  ended_ = status;
}

}  // namespace chat::testing
