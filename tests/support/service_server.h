// A plain synchronous gRPC server for one service written in a test, standing in for a server that
// behaves as libchat's does not (an older version, one that answers as a scripted case needs).
#ifndef CHAT_TESTS_SUPPORT_SERVICE_SERVER_H_
#define CHAT_TESTS_SUPPORT_SERVICE_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/server.h>

namespace chat::testing {

// Serves `service` on a free loopback port from construction until destruction. The destructor
// first calls `before_shutdown` (to end streams the service keeps open), then shuts the server
// down with kPatience of grace. `service` must outlive the ServiceServer.
class ServiceServer {
 public:
  explicit ServiceServer(grpc::Service* service, std::function<void()> before_shutdown = {});
  ~ServiceServer();

  ServiceServer(const ServiceServer&) = delete;
  ServiceServer& operator=(const ServiceServer&) = delete;

  // "127.0.0.1:PORT", for ClientOptions::server_address.
  std::string address() const;

 private:
  std::function<void()> before_shutdown_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_SERVICE_SERVER_H_
