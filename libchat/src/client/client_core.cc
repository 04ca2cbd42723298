#include "client/client_core.h"

#include <utility>

#include <grpc/grpc.h>
#include <grpcpp/support/channel_arguments.h>

#include "client/connection.h"

namespace chat {
namespace {

// gRPC's own reconnection backoff grows to 120 s, and while it waits every call fails at once:
// after a long outage a Client would be back minutes after the server. Capped at the pace of a
// Subscription's resume attempts instead.
constexpr int kInitialReconnectBackoffMs = 250;
constexpr int kMaxReconnectBackoffMs = 4000;

std::shared_ptr<grpc::Channel> MakeChannel(const ClientOptions& options) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(options.keepalive_time.count()));
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(options.keepalive_timeout.count()));
  arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kInitialReconnectBackoffMs);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  return NewConnection(options.server_address, options.tls_root_certificates, arguments);
}

}  // namespace

ClientCore::ClientCore(ClientOptions options)
    : options_(std::move(options)),
      channel_(MakeChannel(options_)),
      stub_(Chat::NewStub(channel_)),
      generic_stub_(std::make_unique<grpc::GenericStub>(channel_)) {}

std::string ClientCore::session() const {
  std::lock_guard<std::mutex> lock(mu_);
  return session_;
}

void ClientCore::KeepSession(std::string token) {
  std::lock_guard<std::mutex> lock(mu_);
  session_ = std::move(token);
}

void ClientCore::ForgetSession(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (session_ == token) session_.clear();
}

std::string ClientCore::Authenticate(grpc::ClientContext* context) const {
  std::string token = session();
  if (!token.empty()) context->AddMetadata(kSessionMetadata, token);
  return token;
}

Status ClientCore::Answered(const grpc::Status& status, const std::string& token) {
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED && !token.empty()) ForgetSession(token);
  return FromGrpcStatus(status);
}

}  // namespace chat
