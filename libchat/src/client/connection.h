#ifndef CHAT_SRC_CLIENT_CONNECTION_H_
#define CHAT_SRC_CLIENT_CONNECTION_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

namespace chat {

// A channel with a connection of its own to `address`: the server tells users apart by connection,
// and gRPC would otherwise let channels with equal arguments share one. Over TLS, checking the
// server against `tls_root_certificates` (PEM), when they are given; plaintext otherwise.
std::shared_ptr<grpc::Channel> NewConnection(const std::string& address, const std::string& tls_root_certificates,
                                             grpc::ChannelArguments arguments = grpc::ChannelArguments());

}  // namespace chat

#endif  // CHAT_SRC_CLIENT_CONNECTION_H_
