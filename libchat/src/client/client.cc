#include "chat/client.h"

#include <utility>

#include <fmt/format.h>
#include <grpcpp/channel.h>

#include "chat.grpc.pb.h"
#include "client/client_core.h"
#include "client/message_stream_impl.h"
#include "client/subscription.h"
#include "wire/wire.h"

namespace chat {

// Shared with the Subscriptions, which resume through the same connection and session.
class Client::Impl {
 public:
  explicit Impl(ClientOptions options) : core(std::make_shared<ClientCore>(std::move(options))) {}

  const std::shared_ptr<ClientCore> core;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

const std::string& Client::server_address() const { return impl_->core->options().server_address; }

Status Client::WaitForConnection(std::chrono::milliseconds timeout) {
  if (impl_->core->channel().WaitForConnected(std::chrono::system_clock::now() + timeout)) return Status::Ok();
  return Status(StatusCode::kUnavailable, fmt::format("cannot reach server at {}", server_address()));
}

Result<Registration> Client::AddUser(std::string_view name) {
  User request;
  request.set_username(std::string(name));
  MessageResponse response;
  if (Status status = impl_->core->Call(&Chat::Stub::AddUser, request, &response); !status.ok()) return status;
  const auto code = static_cast<RegistrationCode>(response.code());
  if (code == RegistrationCode::kAdded && !response.session().empty()) impl_->core->KeepSession(response.session());
  return Registration{code, response.msg(), response.session()};
}

Status Client::Leave() {
  MessageResponse response;
  std::string sent;
  Status status = impl_->core->Call(&Chat::Stub::Leave, LeaveRequest(), &response, &sent);
  if (status.ok()) impl_->core->ForgetSession(sent);
  return status;
}

bool Client::has_session() const { return !impl_->core->session().empty(); }

Result<std::uint64_t> Client::Send(std::string_view text) {
  Message request;
  request.set_msg(std::string(text));
  MessageResponse response;
  if (Status status = impl_->core->Call(&Chat::Stub::SendMessage, request, &response); !status.ok()) return status;
  return response.id();
}

Result<std::vector<std::string>> Client::ListUsers() {
  UserList response;
  if (Status status = impl_->core->Call(&Chat::Stub::ListUsers, ListUsersRequest(), &response); !status.ok()) {
    return status;
  }
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(response.users_size()));
  for (const User& user : response.users()) names.push_back(user.username());
  return names;
}

Result<HistoryPage> Client::History(std::uint64_t before_id, std::uint32_t limit) {
  HistoryRequest request;
  request.set_before_id(before_id);
  request.set_limit(limit);
  MessageList response;
  if (Status status = impl_->core->Call(&Chat::Stub::History, request, &response); !status.ok()) return status;
  HistoryPage page;
  page.messages.reserve(static_cast<std::size_t>(response.messages_size()));
  for (const Message& message : response.messages()) page.messages.push_back(FromWire(message));
  page.complete = response.complete();
  return page;
}

Result<std::unique_ptr<Subscription>> Client::Listen(MessageHandler on_message, EndHandler on_end,
                                                     ListenOptions from) {
  auto subscription =
      std::make_unique<Subscription::Impl>(impl_->core, std::move(on_message), std::move(on_end), std::move(from));
  if (Status started = subscription->Start(); !started.ok()) return started;
  return std::make_unique<Subscription>(std::move(subscription));
}

Result<std::unique_ptr<MessageStream>> Client::Listen(ListenOptions from) {
  auto stream = std::make_unique<MessageStream::Impl>();
  Result<std::unique_ptr<Subscription>> subscription =
      Listen(stream->MessageSink(), stream->EndSink(), std::move(from));
  if (!subscription.ok()) return subscription.status();
  stream->Attach(std::move(subscription).value());
  return std::make_unique<MessageStream>(std::move(stream));
}

}  // namespace chat
