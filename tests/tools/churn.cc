// chat_churn: connects, registers, listens and leaves, over and over, in the ways real clients
// leave. For the churn test (tests/e2e/test_churn.py); not installed.
//
//   chat_churn --server HOST:PORT --cycles N   N cycles, four kinds in turn (below)
//   chat_churn --server HOST:PORT --victim NAME registers NAME, listens, prints "ready" and waits
//                                                to be killed
#include <csignal>
#include <cstdio>
#include <string>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "chat/client.h"

namespace {

constexpr std::chrono::seconds kTimeout(20);

chat::ClientOptions Options(const std::string& server) {
  chat::ClientOptions options;
  options.server_address = server;
  options.rpc_timeout = kTimeout;
  return options;
}

bool Register(chat::Client& client, const std::string& name) {
  const chat::Result<chat::Registration> registration = client.AddUser(name);
  if (registration.ok() && registration->code == chat::RegistrationCode::kAdded) return true;
  fmt::print(stderr, "chat_churn: {} not registered: {}\n", name,
             registration.ok() ? registration->message : registration.status().ToString());
  return false;
}

// One cycle, of kind `cycle % 4`:
//   0: register, listen, say something, quit
//   1: register, listen, quit at once with messages still queued for it (the anchor talks)
//   2: register, never listen, disconnect (the server frees the name after its grace period)
//   3: listen without registering, quit
bool Cycle(const std::string& server, int cycle, chat::Client& anchor) {
  // The process id keeps names apart from an earlier run's, whose never-listening names the server
  // keeps for its grace period.
  const std::string name = fmt::format("churn{}-{}", getpid(), cycle);
  chat::Client client(Options(server));
  const int kind = cycle % 4;
  if (kind != 3 && !Register(client, name)) return false;
  if (kind == 2) return true;
  auto stream = client.Listen();
  if (!stream.ok()) {
    fmt::print(stderr, "chat_churn: {} cannot listen: {}\n", name, stream.status().ToString());
    return false;
  }
  const chat::Result<std::uint64_t> sent =
      kind == 0 ? client.Send("hello from " + name) : anchor.Send(fmt::format("to whoever listens, #{}", cycle));
  if (!sent.ok()) {
    fmt::print(stderr, "chat_churn: cycle {}: send refused: {}\n", cycle, sent.status().ToString());
    return false;
  }
  return true;  // leaving: the stream is cancelled, then the connection closed
}

int Churn(const std::string& server, int cycles) {
  // A long-lived client keeps gRPC's client threads alive between cycles, and talks.
  chat::Client anchor(Options(server));
  if (!Register(anchor, fmt::format("anchor{}", getpid()))) return 1;
  auto anchor_stream = anchor.Listen([](const chat::ChatMessage&) {}, nullptr);
  if (!anchor_stream.ok()) return 1;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    if (!Cycle(server, cycle, anchor)) return 1;
  }
  fmt::print("churned {} cycles\n", cycles);
  return 0;
}

int Victim(const std::string& server, const std::string& name) {
  chat::Client client(Options(server));
  if (!Register(client, name)) return 1;
  auto stream = client.Listen();
  if (!stream.ok()) return 1;
  fmt::print("ready\n");
  std::fflush(stdout);
  for (;;) pause();  // until killed
}

}  // namespace

int main(int argc, char** argv) {
  std::string server;
  int cycles = 0;
  std::string victim;
  CLI::App app{"chat_churn: clients that come and go, for the churn test"};
  app.add_option("--server", server, "HOST:PORT of the server")->required();
  app.add_option("--cycles", cycles, "Connect-register-listen-leave cycles to run")->check(CLI::PositiveNumber);
  app.add_option("--victim", victim, "Register this name, listen, print 'ready' and wait to be killed");
  CLI11_PARSE(app, argc, argv);
  return victim.empty() ? Churn(server, cycles) : Victim(server, victim);
}
