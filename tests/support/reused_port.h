// A client on the address and port of a closed connection, as the server sees it.
#ifndef CHAT_TESTS_SUPPORT_REUSED_PORT_H_
#define CHAT_TESTS_SUPPORT_REUSED_PORT_H_

#include <string>

#include "chat/client.h"

namespace chat::testing {

// Through a TcpProxy that makes every connection from one port, so that the server at `address`
// sees the same peer string for both: registers alice on one connection (which never listens),
// closes it, and checks that a new connection is somebody new. Its SendMessage is
// FAILED_PRECONDITION, its AddUser("bob") a join and not a rename, and `observer` (a client of the
// room, on that server or another node) lists both alice, waiting out her grace, and bob.
void CheckReusedPortIsSomebodyNew(const std::string& address, Client& observer);

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_REUSED_PORT_H_
