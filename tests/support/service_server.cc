#include "support/service_server.h"

#include <chrono>
#include <utility>

#include <catch2/catch.hpp>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "support/test_server.h"

namespace chat::testing {

ServiceServer::ServiceServer(grpc::Service* service, std::function<void()> before_shutdown)
    : before_shutdown_(std::move(before_shutdown)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  REQUIRE(server_ != nullptr);
}

ServiceServer::~ServiceServer() {
  if (before_shutdown_) before_shutdown_();
  server_->Shutdown(std::chrono::system_clock::now() + kPatience);
}

std::string ServiceServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

}  // namespace chat::testing
