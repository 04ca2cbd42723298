#include "chat/client.h"

#include <utility>

#include <fmt/format.h>
#include <grpc/grpc.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/channel_arguments.h>

#include "chat.grpc.pb.h"
#include "client/connection.h"
#include "client/message_stream_impl.h"
#include "client/subscription.h"
#include "wire/wire.h"

namespace chat {
namespace {

std::shared_ptr<grpc::Channel> MakeChannel(const ClientOptions& options) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(options.keepalive_time.count()));
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(options.keepalive_timeout.count()));
  arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return NewConnection(options.server_address, options.tls_root_certificates, arguments);
}

}  // namespace

class Client::Impl {
 public:
  explicit Impl(ClientOptions options)
      : options_(std::move(options)), channel_(MakeChannel(options_)), stub_(Chat::NewStub(channel_)) {}

  const ClientOptions& options() const { return options_; }
  grpc::Channel& channel() { return *channel_; }
  Chat::Stub& stub() { return *stub_; }

  // A context for one unary call, with the call deadline set.
  std::unique_ptr<grpc::ClientContext> UnaryContext() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + options_.rpc_timeout);
    return context;
  }

 private:
  const ClientOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<Chat::Stub> stub_;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

const std::string& Client::server_address() const { return impl_->options().server_address; }

Status Client::WaitForConnection(std::chrono::milliseconds timeout) {
  if (impl_->channel().WaitForConnected(std::chrono::system_clock::now() + timeout)) return Status::Ok();
  return Status(StatusCode::kUnavailable, fmt::format("cannot reach server at {}", server_address()));
}

Result<Registration> Client::AddUser(std::string_view name) {
  User request;
  request.set_username(std::string(name));
  MessageResponse response;
  const auto context = impl_->UnaryContext();
  const grpc::Status status = impl_->stub().AddUser(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return Registration{static_cast<RegistrationCode>(response.code()), response.msg(), response.session()};
}

Result<std::uint64_t> Client::Send(std::string_view text) {
  Message request;
  request.set_msg(std::string(text));
  MessageResponse response;
  const auto context = impl_->UnaryContext();
  const grpc::Status status = impl_->stub().SendMessage(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response.id();
}

Result<std::vector<std::string>> Client::ListUsers() {
  UserList response;
  const auto context = impl_->UnaryContext();
  const grpc::Status status = impl_->stub().ListUsers(context.get(), ListUsersRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(response.users_size()));
  for (const User& user : response.users()) names.push_back(user.username());
  return names;
}

Result<std::unique_ptr<Subscription>> Client::Listen(MessageHandler on_message, EndHandler on_end,
                                                     ListenOptions /*from*/) {
  auto reactor = std::make_unique<Subscription::Impl>(std::move(on_message), std::move(on_end));
  if (Status started = reactor->Start(&impl_->stub(), impl_->options().rpc_timeout); !started.ok()) {
    return started;
  }
  return std::make_unique<Subscription>(std::move(reactor));
}

Result<std::unique_ptr<MessageStream>> Client::Listen(ListenOptions /*from*/) {
  auto stream = std::make_unique<MessageStream::Impl>();
  Result<std::unique_ptr<Subscription>> subscription = Listen(stream->MessageSink(), stream->EndSink());
  if (!subscription.ok()) return subscription.status();
  stream->Attach(std::move(subscription).value());
  return std::make_unique<MessageStream>(std::move(stream));
}

}  // namespace chat
