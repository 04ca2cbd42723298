// ParseCommand: what each line typed into chat-cli asks for.
#include <catch2/catch.hpp>

#include "command.h"

namespace chat::cli {
namespace {

Command Say(std::string text) { return {CommandKind::kSay, std::move(text)}; }

TEST_CASE("a plain line is said as typed", "[command]") {
  CHECK(ParseCommand("hi, this is alice") == Say("hi, this is alice"));
  CHECK(ParseCommand("  spaced  ") == Say("  spaced  "));
  CHECK(ParseCommand("@bob psst") == Say("@bob psst"));
}

TEST_CASE("a blank line asks for nothing", "[command]") {
  CHECK(ParseCommand("").kind == CommandKind::kNothing);
  CHECK(ParseCommand(" \t ").kind == CommandKind::kNothing);
}

TEST_CASE("a doubled slash sends a line starting with one slash", "[command]") {
  CHECK(ParseCommand("//who") == Say("/who"));
  CHECK(ParseCommand("// slashes") == Say("/ slashes"));
}

TEST_CASE("/msg NAME text becomes a direct message", "[command]") {
  CHECK(ParseCommand("/msg bob psst") == Say("@bob psst"));
  CHECK(ParseCommand("/msg   bob   psst, twice ") == Say("@bob psst, twice"));
  CHECK(ParseCommand("/msg @bob psst") == Say("@bob psst"));
}

TEST_CASE("/msg without a name or a text answers with its usage", "[command]") {
  CHECK(ParseCommand("/msg") == Command{CommandKind::kUsage, "usage: /msg NAME text"});
  CHECK(ParseCommand("/msg bob") == Command{CommandKind::kUsage, "usage: /msg NAME text"});
  CHECK(ParseCommand("/msg bob   ") == Command{CommandKind::kUsage, "usage: /msg NAME text"});
}

TEST_CASE("/nick takes exactly one name", "[command]") {
  CHECK(ParseCommand("/nick alicia") == Command{CommandKind::kNick, "alicia"});
  CHECK(ParseCommand("/nick  alicia ") == Command{CommandKind::kNick, "alicia"});
  CHECK(ParseCommand("/nick").kind == CommandKind::kUsage);
  CHECK(ParseCommand("/nick two words").kind == CommandKind::kUsage);
}

TEST_CASE("/history takes an optional count from 1 to 500", "[command]") {
  CHECK(ParseCommand("/history") == Command{CommandKind::kHistory, "", kDefaultHistoryCount});
  CHECK(ParseCommand("/history 5") == Command{CommandKind::kHistory, "", 5});
  CHECK(ParseCommand("/History  500 ") == Command{CommandKind::kHistory, "", 500});
  for (const char* wrong : {"/history 0", "/history 501", "/history five", "/history -1", "/history 5x",
                            "/history 5 more", "/history 99999999999"}) {
    INFO(wrong);
    CHECK(ParseCommand(wrong) == Command{CommandKind::kUsage, "usage: /history [N], N from 1 to 500"});
  }
}

TEST_CASE("/who, /help and /quit ignore what follows them", "[command]") {
  CHECK(ParseCommand("/who").kind == CommandKind::kWho);
  CHECK(ParseCommand("/help me").kind == CommandKind::kHelp);
  CHECK(ParseCommand("/quit now").kind == CommandKind::kQuit);
}

TEST_CASE("command words are matched ignoring case", "[command]") {
  CHECK(ParseCommand("/WHO").kind == CommandKind::kWho);
  CHECK(ParseCommand("/Msg bob hi") == Say("@bob hi"));
}

TEST_CASE("an unknown command is named back and nothing is said", "[command]") {
  CHECK(ParseCommand("/frobnicate the room") == Command{CommandKind::kUnknown, "/frobnicate"});
  CHECK(ParseCommand("/") == Command{CommandKind::kUnknown, "/"});
  CHECK(ParseCommand("/whoami") == Command{CommandKind::kUnknown, "/whoami"});
}

TEST_CASE("the help names every command", "[command]") {
  std::string help;
  for (const std::string& line : HelpLines()) help += line + "\n";
  for (const char* command : {"/who", "/msg NAME text", "/nick NAME", "/history [N]", "/help", "/quit", "//"}) {
    CHECK_THAT(help, Catch::Contains(command));
  }
}

}  // namespace
}  // namespace chat::cli
