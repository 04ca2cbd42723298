#include "support/registration_race.h"

#include <atomic>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace chat::testing {

RaceOutcome RaceToRegister(const TestServer& server, int clients, const std::string& name) {
  return RaceToRegister(std::vector<const TestServer*>{&server}, clients, name);
}

RaceOutcome RaceToRegister(const std::vector<const TestServer*>& servers, int clients, const std::string& name) {
  std::vector<std::unique_ptr<Client>> racers;
  for (int i = 0; i < clients; ++i) {
    racers.push_back(servers[static_cast<std::size_t>(i) % servers.size()]->NewClient());
    // Connected first, so that the registrations race each other and not the connections.
    REQUIRE(racers.back()->WaitForConnection(kPatience).ok());
  }
  std::atomic<int> added{0}, taken{0}, other{0};
  std::latch start(clients);
  std::vector<std::thread> threads;
  for (auto& racer : racers) {
    threads.emplace_back([&, client = racer.get()] {
      start.arrive_and_wait();
      const Result<Registration> registration = client->AddUser(name);
      if (!registration.ok()) {
        ++other;
      } else if (registration->code == RegistrationCode::kAdded) {
        ++added;
      } else if (registration->code == RegistrationCode::kTaken) {
        ++taken;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return RaceOutcome{added.load(), taken.load(), other.load()};
}

}  // namespace chat::testing
