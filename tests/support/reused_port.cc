#include "support/reused_port.h"

#include <vector>

#include <catch2/catch.hpp>

#include "support/raw_chat.h"
#include "support/status_printer.h"
#include "support/tcp_proxy.h"

namespace chat::testing {

void CheckReusedPortIsSomebodyNew(const std::string& address, Client& observer) {
  TcpProxy proxy(address, TcpProxy::SourcePort::kSame);
  {
    RawChat first(proxy.address());
    MessageResponse added;
    REQUIRE(first.AddUser("alice", &added).ok());
    REQUIRE(added.code() == MessageResponse::ADDED);
  }
  proxy.Cut();  // alice's connection is closed; she never listened, so her name waits out its grace
  proxy.Restore();

  RawChat second(proxy.address());
  const grpc::Status unnamed = second.Send("hi", "");
  CHECK(unnamed.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(unnamed.error_message() == "register first: call AddUser with a name");
  MessageResponse bob;
  REQUIRE(second.AddUser("bob", &bob).ok());
  CHECK(bob.code() == MessageResponse::ADDED);
  CHECK(bob.msg() == "welcome, bob");  // not "you are now bob", a rename of alice
  CHECK(proxy.relayed() == 2);         // both through the proxy, from one port
  CHECK(*observer.ListUsers() == std::vector<std::string>{"alice", "bob"});
}

}  // namespace chat::testing
