// time_bot: a user of a chat server that answers "!time" with the time.
//
//   time_bot [HOST:PORT [NAME]]        defaults: localhost:50051 and timebot
//
// It takes NAME, listens to the room, and when somebody else says "!time" to the room, says the
// local time there. It runs until SIGINT or SIGTERM (exit 0) or until the server ends its stream
// (exit 1).
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "chat/client.h"
#include "chat/rules.h"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void RequestStop(int) { stop_requested = 1; }

std::string TimeNow() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &local);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  chat::ClientOptions options;
  if (argc > 1) options.server_address = argv[1];
  const std::string name = argc > 2 ? argv[2] : "timebot";
  std::signal(SIGINT, RequestStop);
  std::signal(SIGTERM, RequestStop);

  chat::Client client(options);
  const chat::Result<chat::Registration> registration = client.AddUser(name);
  if (!registration.ok() || registration->code != chat::RegistrationCode::kAdded) {
    const std::string why = registration.ok() ? registration->message : registration.status().ToString();
    std::fprintf(stderr, "time_bot: %s\n", why.c_str());
    return 1;
  }
  chat::Result<std::unique_ptr<chat::MessageStream>> stream = client.Listen();
  if (!stream.ok()) {
    std::fprintf(stderr, "time_bot: %s\n", stream.status().ToString().c_str());
    return 1;
  }
  std::printf("%s answers !time on %s\n", name.c_str(), options.server_address.c_str());
  std::fflush(stdout);

  // Next() waits a quarter of a second at most, so that a stop request is seen that soon.
  while (!stop_requested) {
    const std::optional<chat::ChatMessage> message = (*stream)->Next(std::chrono::milliseconds(250));
    if (!message) {
      if (!(*stream)->ended()) continue;
      std::fprintf(stderr, "time_bot: %s\n", (*stream)->status().ToString().c_str());
      return 1;
    }
    // The stream carries the bot's own messages too; only somebody else's "!time" is answered.
    if (message->kind != chat::MessageKind::kChat || message->text != "!time" ||
        chat::SameUsername(message->from, name)) {
      continue;
    }
    const chat::Result<std::uint64_t> sent = client.Send("the time is " + TimeNow());
    if (!sent.ok()) std::fprintf(stderr, "time_bot: %s\n", sent.status().ToString().c_str());
  }
  client.Leave();  // frees the name now; otherwise the server holds it for the session a while
  return 0;
}
