// embedded_server: a chat server inside a program of one's own, with an observer and a bot.
//
//   embedded_server [HOST:PORT]        default 0.0.0.0:50051; port 0 picks a free port
//
// Prints "listening on HOST:PORT", then every message and notice of the room, one line each. The
// bot "echo" answers each direct message sent to it ("@echo hello") with the same text, to its
// sender only. Runs until SIGINT or SIGTERM, then shuts the server down and exits 0.
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "chat/message.h"
#include "chat/rules.h"
#include "chat/server.h"

namespace {

// "alice: hi", "alice -> echo: hello" (without the "@echo" she typed), "* bob joined".
std::string Describe(const chat::ChatMessage& message) {
  switch (message.kind) {
    case chat::MessageKind::kChat:
      return message.from + ": " + message.text;
    case chat::MessageKind::kDirect: {
      const chat::Result<chat::Mention> mention = chat::ParseMention(message.text);
      const std::string body(mention.ok() ? mention->body : message.text);
      return message.from + " -> " + message.to + ": " + body;
    }
    default:
      return "* " + message.text;
  }
}

}  // namespace

int main(int argc, char** argv) {
  chat::ServerOptions options;
  if (argc > 1) options.address = argv[1];

  // Blocked before the server starts its threads, so that they inherit the mask and only sigwait()
  // below receives the signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  chat::Result<std::unique_ptr<chat::Server>> server = chat::Server::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "embedded_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);

  // Handlers run on the observer's own thread, one message at a time.
  auto observer = (*server)->Observe([](const chat::ChatMessage& message) {
    std::printf("%s\n", Describe(message).c_str());
    std::fflush(stdout);
  });
  if (!observer.ok()) {
    std::fprintf(stderr, "embedded_server: %s\n", observer.status().ToString().c_str());
    return 1;
  }

  // A bot hears what a person would, its own direct messages included: it answers only the others'.
  auto echo = (*server)->AddBot("echo", [](chat::Bot& self, const chat::ChatMessage& message) {
    if (message.kind != chat::MessageKind::kDirect || chat::SameUsername(message.from, self.name())) return;
    const chat::Result<chat::Mention> mention = chat::ParseMention(message.text);
    if (!mention.ok()) return;
    const chat::Result<std::uint64_t> said = self.Say("@" + message.from + " " + std::string(mention->body));
    if (!said.ok()) std::fprintf(stderr, "embedded_server: echo: %s\n", said.status().ToString().c_str());
  });
  if (!echo.ok()) {
    std::fprintf(stderr, "embedded_server: %s\n", echo.status().ToString().c_str());
    return 1;
  }

  int received = 0;
  sigwait(&stop_signals, &received);
  (*server)->Shutdown();
  return 0;
}
