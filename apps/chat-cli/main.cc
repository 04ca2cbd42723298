// chat-cli: the terminal client of chat-server. Reads its flags and environment, picks a mode, and
// hands over to RunChat (chat_loop.h). docs/cli.md describes it for people.
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "chat/logging.h"
#include "chat/process.h"
#include "chat_loop.h"

namespace {

bool IsSetAndNotEmpty(const char* variable) {
  const char* value = std::getenv(variable);
  return value != nullptr && *value != '\0';
}

// Colors on `fd`: only on a terminal. https://no-color.org: any non-empty NO_COLOR turns them off;
// so does a terminal that has none.
bool WantsColor(int fd) {
  if (!isatty(fd) || IsSetAndNotEmpty("NO_COLOR")) return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::string_view(term) != "dumb";
}

// Logs (libchat's and gRPC's own) are off: they would break the screen and say nothing a person
// needs. CHAT_CLI_LOG=debug (or info, warn...) sends them to stderr, for bug reports.
void SetUpLogging() {
  spdlog::set_default_logger(spdlog::stderr_color_mt("chat-cli"));
  const char* level = std::getenv("CHAT_CLI_LOG");
  spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::off);
  chat::RouteGrpcLogsToSpdlog();
}

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "");  // readline needs the locale to edit UTF-8 text
  chat::cli::ChatOptions options;
  std::string user;

  CLI::App app{"chat-cli: chat with the people in a chat-server's room.\n"
               "On a terminal: type to talk, /help lists the commands, Ctrl-D leaves.\n"
               "Otherwise every line of stdin is sent, and the room is written to stdout."};
  app.add_option("-s,--server", options.session.client.server_address,
                 "HOST:PORT of the chat server; ipv4:HOST:PORT,HOST:PORT,... for the nodes of one room (the next "
                 "one takes over when one goes away)")
      ->envname("CHAT_SERVER")
      ->capture_default_str();
  app.add_option("-u,--user", user, "The name to take; without it, chat-cli asks for one");
  app.add_option("--history", options.session.history, "How many earlier messages to show on start (0: none)")
      ->check(CLI::Range(0, 500))
      ->capture_default_str();
  app.add_flag("-t,--timestamps", options.format.show_time, "Show the server's time before each message");
  std::string tls_ca;
  app.add_option("--tls-ca", tls_ca, "Connect over TLS, trusting these certificates (PEM file)")
      ->check(CLI::ExistingFile);
  app.set_version_flag("--version", CHAT_VERSION);
  CLI11_PARSE(app, argc, argv);

  if (!tls_ca.empty()) {
    chat::Result<std::string> roots = chat::ReadFileContents(tls_ca);
    if (!roots.ok()) {
      std::fprintf(stderr, "! %s\n", roots.status().message().c_str());
      return 1;
    }
    options.session.client.tls_root_certificates = std::move(roots).value();
  }

  if (app.count("--user") > 0) options.user = user;
  options.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  options.ask_again = isatty(STDIN_FILENO);
  options.format.color = WantsColor(STDOUT_FILENO);
  // Errors go to stderr (on a terminal, above the input line on stdout; stderr is then the same
  // terminal, unless redirected, when plain errors on the screen are the lesser harm).
  options.format.color_errors = options.format.color && WantsColor(STDERR_FILENO);
  SetUpLogging();
  return chat::cli::RunChat(options);
}
