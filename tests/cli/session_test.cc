// Session against a real server in this process: names, lines, commands, leaving and coming back.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "formatter.h"
#include "session.h"
#include "support/tcp_proxy.h"
#include "support/test_server.h"

namespace chat::cli {
namespace {

using chat::testing::Eventually;
using chat::testing::HasText;
using chat::testing::IsRegistered;
using chat::testing::kPatience;
using chat::testing::TcpProxy;
using chat::testing::TestServer;
using chat::testing::TestUser;

// What the session said, one string per line, as chat-cli would print it without colors.
class Recorder final : public SessionOutput {
 public:
  void ShowMessage(const ChatMessage& message) override { lines.push_back(formatter_.Message(message)); }
  void ShowNotice(std::string_view text) override { lines.push_back(formatter_.Notice(text)); }
  void ShowError(std::string_view text) override { lines.push_back(formatter_.Error(text)); }
  void ShowSeparator(std::string_view text) override { lines.push_back(formatter_.Separator(text)); }

  bool Saw(const std::string& line) const { return std::find(lines.begin(), lines.end(), line) != lines.end(); }

  std::vector<std::string> lines;

 private:
  const Formatter formatter_{FormatOptions{}};
};

// Counts the session's wake-ups, so that a test sleeps until there is something to process.
class Wakeups {
 public:
  std::function<void()> Callback() {
    return [this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++count_;
      changed_.notify_all();
    };
  }

  // Waits for a wake-up not waited for yet; false when `deadline` came first.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!changed_.wait_until(lock, deadline, [this] { return count_ > seen_; })) return false;
    seen_ = count_;
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::uint64_t count_ = 0;
  std::uint64_t seen_ = 0;
};

// A session as bob would use it, with quick retries, and what it said.
struct Fixture {
  explicit Fixture(const std::string& address, std::uint32_t history = 20)
      : session(Options(address, history), &output, wakeups.Callback()) {}

  static SessionOptions Options(const std::string& address, std::uint32_t history) {
    SessionOptions options;
    options.client.server_address = address;
    options.history = history;
    options.attempt_timeout = std::chrono::milliseconds(500);
    options.first_backoff = std::chrono::milliseconds(50);
    options.max_backoff = std::chrono::milliseconds(500);
    return options;
  }

  // Handles the session's events until `condition` holds; false if it did not within kPatience.
  bool RunUntil(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (true) {
      session.ProcessEvents();
      if (condition()) return true;
      if (!wakeups.WaitUntil(deadline)) return condition();
    }
  }

  // On failure, what was said instead goes with the failed check.
  bool RunUntilSaw(const std::string& line) {
    if (RunUntil([&] { return output.Saw(line); })) return true;
    std::string said;
    for (const std::string& shown : output.lines) said += "\n  " + shown;
    UNSCOPED_INFO("said:" << said);
    return false;
  }

  // The lines said from the last `first` on.
  std::vector<std::string> LinesFrom(const std::string& first) const {
    const auto start = std::find(output.lines.rbegin(), output.lines.rend(), first);
    if (start == output.lines.rend()) return {};
    return std::vector<std::string>(std::prev(start.base()), output.lines.end());
  }

  Recorder output;
  Wakeups wakeups;
  Session session;
};

// Fixture with bob's name taken and his stream open.
struct Bob : Fixture {
  explicit Bob(const std::string& address, std::uint32_t history = 20) : Fixture(address, history) {
    REQUIRE(session.Connect().ToString() == "OK");
    REQUIRE(session.ChooseName("bob") == NameResult::kAdded);
  }
};

TEST_CASE("nothing listening at the address is one line naming it", "[session]") {
  Fixture nobody("127.0.0.1:1");
  const Status status = nobody.session.Connect();
  CHECK(status.code() == StatusCode::kUnavailable);
  CHECK(status.message() == "cannot reach server at 127.0.0.1:1");
}

TEST_CASE("a taken name is refused with the server's reason, and another one can be chosen", "[session]") {
  TestServer server;
  TestUser alice(server, "alice");
  Fixture newcomer(server.address(), /*history=*/0);
  REQUIRE(newcomer.session.Connect().ok());
  CHECK(newcomer.session.ChooseName("Alice") == NameResult::kRefused);
  CHECK(newcomer.output.lines.back() == "! alice is taken; choose another name");
  CHECK(newcomer.session.state() == Session::State::kNaming);
  CHECK(newcomer.session.ChooseName(" bob ") == NameResult::kAdded);
  CHECK(newcomer.output.lines.back() == "* welcome, bob");
  CHECK(newcomer.session.name() == "bob");
  CHECK(newcomer.session.state() == Session::State::kChatting);
}

TEST_CASE("an invalid name is refused with the rule it breaks", "[session]") {
  TestServer server;
  Fixture newcomer(server.address());
  REQUIRE(newcomer.session.Connect().ok());
  CHECK(newcomer.session.ChooseName("-bob") == NameResult::kRefused);
  CHECK(newcomer.output.lines.back() == "! invalid name: a name must start with a letter or a digit");
}

TEST_CASE("a line reaches the room, and its echo comes back as name: text", "[session]") {
  TestServer server;
  TestUser alice(server, "alice");
  Bob bob(server.address());
  CHECK(bob.session.HandleLine("hi, this is bob") == LineResult::kContinue);
  const std::optional<ChatMessage> heard = alice.WaitFor(HasText("hi, this is bob"));
  REQUIRE(heard.has_value());
  CHECK(heard->from == "bob");
  CHECK(bob.RunUntilSaw("bob: hi, this is bob"));
  CHECK(bob.session.AllEchoed());
}

// Every text `user` receives up to and including `last`.
std::vector<std::string> TextsThrough(TestUser& user, const std::string& last) {
  std::vector<std::string> texts;
  const auto through = user.WaitFor([&](const ChatMessage& message) {
    texts.push_back(message.text);
    return message.text == last;
  });
  REQUIRE(through.has_value());
  return texts;
}

TEST_CASE("/msg reaches its recipient and the sender, and nobody else", "[session]") {
  TestServer server;
  TestUser alice(server, "alice"), carol(server, "carol");
  Bob bob(server.address());
  bob.session.HandleLine("/msg alice psst");
  bob.session.HandleLine("marker");
  const std::optional<ChatMessage> direct = alice.WaitFor(HasText("@alice psst"));
  REQUIRE(direct.has_value());
  CHECK(direct->kind == MessageKind::kDirect);
  CHECK(bob.RunUntilSaw("bob -> alice: psst"));
  const std::vector<std::string> carol_saw = TextsThrough(carol, "marker");
  CHECK(std::find(carol_saw.begin(), carol_saw.end(), "@alice psst") == carol_saw.end());
}

TEST_CASE("/who lists the users", "[session]") {
  TestServer server;
  TestUser alice(server, "alice");
  Bob bob(server.address());
  bob.session.HandleLine("/who");
  CHECK(bob.output.lines.back() == "* 2 users: alice, bob");
}

TEST_CASE("an unknown command gets a hint and sends nothing", "[session]") {
  TestServer server;
  TestUser alice(server, "alice");
  Bob bob(server.address());
  bob.session.HandleLine("/frobnicate the room");
  CHECK(bob.output.lines.back() ==
        "! unknown command /frobnicate (/help lists the commands; // sends a line starting with /)");
  bob.session.HandleLine("marker");
  CHECK(TextsThrough(alice, "marker") == std::vector<std::string>{"bob joined", "marker"});
}

TEST_CASE("a refused line becomes one error line in the server's words", "[session]") {
  TestServer server;
  Bob bob(server.address());
  bob.session.HandleLine("/msg nobody hi");
  CHECK(bob.output.lines.back() == "! no such user: nobody");
  bob.session.HandleLine(std::string(kDefaultMaxTextBytes + 1, 'x'));
  CHECK(bob.output.lines.back() == "! message too long (max 4096 bytes)");
  bob.session.HandleLine("/msg");
  CHECK(bob.output.lines.back() == "! usage: /msg NAME text");
}

TEST_CASE("/nick changes the name, and the room hears of it", "[session]") {
  TestServer server;
  TestUser alice(server, "alice");
  Bob bob(server.address());
  bob.session.HandleLine("/nick robert");
  CHECK(bob.session.name() == "robert");
  CHECK(bob.RunUntilSaw("* bob is now known as robert"));
  bob.session.HandleLine("/nick alice");
  CHECK(bob.output.lines.back() == "! alice is taken; choose another name");
  CHECK(bob.session.name() == "robert");
}

TEST_CASE("leaving frees the name at once", "[session]") {
  TestServer server;
  Bob bob(server.address());
  bob.session.Leave();
  CHECK(bob.session.state() == Session::State::kLeft);
  const auto client = server.NewClient();
  // Without Leave the server would hold the name for the session (--session-hold, 2 min).
  CHECK_FALSE(IsRegistered(*client, "bob"));
}

TEST_CASE("the stream starts with the last messages, set apart from live ones", "[session]") {
  TestServer server;
  TestUser alice(server, "alice");
  alice.Say("one");
  alice.Say("two");
  Bob bob(server.address());
  alice.Say("live now");
  CHECK(bob.RunUntilSaw("alice: live now"));
  CHECK(bob.LinesFrom("* welcome, bob") ==
        std::vector<std::string>{"* welcome, bob", "--- 4 earlier messages ---", "* alice joined", "alice: one",
                                 "alice: two", "* bob joined", "--- live ---", "alice: live now"});
}

TEST_CASE("with history 0 the stream starts with live messages, and nothing is set apart", "[session]") {
  TestServer server;
  TestUser alice(server, "alice");
  alice.Say("before");
  Bob bob(server.address(), 0);
  alice.Say("live now");
  CHECK(bob.RunUntilSaw("alice: live now"));
  CHECK(bob.LinesFrom("* welcome, bob") == std::vector<std::string>{"* welcome, bob", "alice: live now"});
}

TEST_CASE("/history shows earlier messages oldest first, set apart, until nothing is further back", "[session]") {
  TestServer server;
  TestUser alice(server, "alice");
  for (const char* text : {"one", "two", "three", "four"}) alice.Say(text);
  Bob bob(server.address(), 2);  // four, bob joined
  REQUIRE(bob.RunUntilSaw("--- live ---"));

  bob.session.HandleLine("/history 2");
  CHECK(bob.LinesFrom("--- 2 earlier messages ---") ==
        std::vector<std::string>{"--- 2 earlier messages ---", "alice: two", "alice: three",
                                 "--- end of earlier messages ---"});
  bob.session.HandleLine("/history");
  CHECK(bob.LinesFrom("--- 2 earlier messages ---") ==
        std::vector<std::string>{"--- 2 earlier messages ---", "* alice joined", "alice: one",
                                 "--- nothing further back ---"});
  bob.session.HandleLine("/history");
  CHECK(bob.output.lines.back() == "* nothing further back");
}

TEST_CASE("a cut connection comes back under the same name with each missed message once, and says how many",
          "[session]") {
  TestServer server;
  TcpProxy proxy(server.address());
  TestUser alice(server, "alice");
  Bob bob(proxy.address());
  REQUIRE(bob.RunUntilSaw("--- live ---"));  // the history has arrived whole
  proxy.Cut();
  REQUIRE(bob.RunUntilSaw("! lost the connection to " + proxy.address() + "; reconnecting"));
  CHECK(bob.session.state() == Session::State::kReconnecting);
  bob.session.HandleLine("anyone?");
  CHECK(bob.output.lines.back() ==
        "! not connected; trying to reach " + proxy.address() + " again (/quit leaves)");
  alice.Say("missed one");
  alice.Say("missed two");
  proxy.Restore();

  REQUIRE(bob.RunUntilSaw("* back: caught up on 2 messages"));
  CHECK(bob.LinesFrom("* reconnected to " + proxy.address() + " as bob") ==
        std::vector<std::string>{"* reconnected to " + proxy.address() + " as bob", "alice: missed one",
                                 "alice: missed two", "* back: caught up on 2 messages"});
  CHECK(bob.session.state() == Session::State::kChatting);
  bob.session.HandleLine("back again");
  CHECK(alice.WaitFor(HasText("back again")).has_value());
  CHECK(std::count(bob.output.lines.begin(), bob.output.lines.end(), "alice: missed one") == 1);
}

TEST_CASE("leaving while the stream resumes returns promptly", "[session]") {
  TestServer server;
  TcpProxy proxy(server.address());
  Bob bob(proxy.address());
  proxy.Cut();
  REQUIRE(bob.RunUntil([&] { return bob.session.state() == Session::State::kReconnecting; }));
  const auto started = std::chrono::steady_clock::now();
  bob.session.Leave();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}

TEST_CASE("a restarted server is said, retried, and comes back under the same name with the gap shown",
          "[session]") {
  auto first = std::make_unique<TestServer>();
  const std::string address = first->address();
  Bob bob(address);
  REQUIRE(bob.RunUntilSaw("--- live ---"));
  first.reset();
  CHECK(bob.RunUntilSaw("! lost the connection to " + address + "; reconnecting"));
  CHECK(bob.session.state() == Session::State::kReconnecting);
  bob.session.HandleLine("anyone?");
  CHECK(bob.output.lines.back() == "! not connected; trying to reach " + address + " again (/quit leaves)");

  ServerOptions options = chat::testing::LoopbackOptions();
  options.address = address;
  TestServer second(options);
  CHECK(bob.RunUntilSaw("* reconnected to " + address + " as bob"));
  CHECK(bob.session.state() == Session::State::kChatting);
  // The new server knows nothing of the old session: bob registered again, and what was said
  // before the restart is lost, which the gap says.
  CHECK(bob.RunUntilSaw("* back: caught up on 1 message; some were lost (see above)"));
  const std::vector<std::string> back = bob.LinesFrom("* reconnected to " + address + " as bob");
  REQUIRE(back.size() == 4);
  CHECK_THAT(back[1], Catch::StartsWith("* the server restarted since #"));
  CHECK(back[2] == "* bob joined");
  TestUser alice(second, "alice");
  bob.session.HandleLine("back again");
  CHECK(alice.WaitFor(HasText("back again")).has_value());
}

TEST_CASE("a server restarted while the name is chosen is reached again for the name", "[session]") {
  auto first = std::make_unique<TestServer>();
  const std::string address = first->address();
  Fixture newcomer(address, /*history=*/0);
  REQUIRE(newcomer.session.Connect().ok());
  first.reset();
  // With nobody there, the name cannot be asked for, on the old connection nor on a new one.
  CHECK(newcomer.session.ChooseName("bob") == NameResult::kFailed);
  CHECK(newcomer.output.lines.back() == "! cannot reach server at " + address);

  ServerOptions options = chat::testing::LoopbackOptions();
  options.address = address;
  TestServer second(options);
  CHECK(newcomer.session.ChooseName("bob") == NameResult::kAdded);
  CHECK(newcomer.output.lines.back() == "* welcome, bob");
  CHECK(newcomer.session.state() == Session::State::kChatting);
}

TEST_CASE("leaving while the server is gone returns promptly", "[session]") {
  auto server = std::make_unique<TestServer>();
  Bob bob(server->address());
  server.reset();
  REQUIRE(bob.RunUntil([&] { return bob.session.state() == Session::State::kReconnecting; }));
  const auto started = std::chrono::steady_clock::now();
  bob.session.Leave();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

}  // namespace
}  // namespace chat::cli
