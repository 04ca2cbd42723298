// Many clients registering one name at the same instant, to test that check-and-insert is atomic.
#ifndef CHAT_TESTS_SUPPORT_REGISTRATION_RACE_H_
#define CHAT_TESTS_SUPPORT_REGISTRATION_RACE_H_

#include <string>
#include <vector>

#include "support/test_server.h"

namespace chat::testing {

// How the racing registrations were answered.
struct RaceOutcome {
  int added = 0;
  int taken = 0;
  int other = 0;  // any other answer, a failed call included
};

// Connects `clients` new clients to `server`, then has them all call AddUser(`name`) at once, each
// on a thread of its own released by one latch.
RaceOutcome RaceToRegister(const TestServer& server, int clients, const std::string& name);
// The same, with the clients spread over `servers` in turn (nodes of one shared room).
RaceOutcome RaceToRegister(const std::vector<const TestServer*>& servers, int clients, const std::string& name);

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_REGISTRATION_RACE_H_
