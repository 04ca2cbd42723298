// The Acceptor's names for connections: the peer string it tells the room about must be the one
// gRPC gives the calls of that connection, or Room::ConnectionOpened lets nobody go.
#include "server/acceptor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "chat.grpc.pb.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

// Answers ListUsers with one user: the caller's peer as gRPC names it.
class PeerEcho final : public Chat::Service {
 public:
  grpc::Status ListUsers(grpc::ServerContext* context, const ListUsersRequest*, UserList* users) override {
    users->add_users()->set_username(context->peer());
    return grpc::Status::OK;
  }
};

// Serves PeerEcho on `listen` through an Acceptor, and checks for two connections to `host` (and
// the port it got) that the acceptor told the peer gRPC then gave the call.
void CheckPeersAgree(const std::string& listen, const std::string& host) {
  std::mutex mu;
  std::vector<std::string> told;
  Acceptor::Options options;
  options.address = listen;
  options.on_connection = [&](const std::string& peer) {
    std::lock_guard<std::mutex> lock(mu);
    told.push_back(peer);
  };
  Result<std::unique_ptr<Acceptor>> acceptor = Acceptor::Listen(options);
  REQUIRE(acceptor.ok());
  PeerEcho service;
  grpc::ServerBuilder builder;
  auto handoff = builder.experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(server != nullptr);
  (*acceptor)->Start(handoff.get());

  for (std::size_t connection = 1; connection <= 2; ++connection) {
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own each time
    auto stub = Chat::NewStub(grpc::CreateCustomChannel(host + ":" + std::to_string((*acceptor)->port()),
                                                        grpc::InsecureChannelCredentials(), arguments));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    UserList seen;
    REQUIRE(stub->ListUsers(&context, ListUsersRequest(), &seen).ok());
    REQUIRE(seen.users_size() == 1);
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE(told.size() == connection);
    CHECK(told.back() == seen.users(0).username());
  }
  (*acceptor)->Stop();
  server->Shutdown(std::chrono::system_clock::now() + kPatience);
}

// IPv4 only: a machine may have no IPv6 loopback. The IPv6 strings are checked below.
TEST_CASE("the acceptor tells each connection's peer as gRPC names it, before any call on it", "[acceptor]") {
  CheckPeersAgree("127.0.0.1:0", "127.0.0.1");
}

TEST_CASE("IPv6 peers are written as gRPC 1.51 writes them, IPv4 clients of a dual-stack socket as IPv4",
          "[acceptor]") {
  // The strings on the right are what gRPC 1.51 gave ServerContext::peer() for such clients.
  sockaddr_storage address{};
  auto& v6 = reinterpret_cast<sockaddr_in6&>(address);
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(36590);
  REQUIRE(inet_pton(AF_INET6, "::1", &v6.sin6_addr) == 1);
  CHECK(GrpcPeer(address) == "ipv6:%5B::1%5D:36590");
  REQUIRE(inet_pton(AF_INET6, "2001:db8::7", &v6.sin6_addr) == 1);
  CHECK(GrpcPeer(address) == "ipv6:%5B2001:db8::7%5D:36590");
  REQUIRE(inet_pton(AF_INET6, "::ffff:203.0.113.7", &v6.sin6_addr) == 1);
  CHECK(GrpcPeer(address) == "ipv4:203.0.113.7:36590");
}

}  // namespace
}  // namespace chat::testing
