#include "chat_loop.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include "line_editor.h"
#include "line_splitter.h"
#include "wake_pipe.h"

namespace chat::cli {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::string_view kNamePrompt = "username: ";
// At the end of scripted input, how long to wait for the echo of the last message sent.
constexpr std::chrono::seconds kEchoPatience{5};

// Formats what the session says and keeps it until Flush(), so that the lines of one turn of the
// loop are written together.
class ChatOutput : public SessionOutput {
 public:
  explicit ChatOutput(FormatOptions options) : formatter_(options) {}

  void ShowMessage(const ChatMessage& message) override { pending_.push_back({formatter_.Message(message), false}); }
  void ShowNotice(std::string_view text) override { pending_.push_back({formatter_.Notice(text), false}); }
  void ShowError(std::string_view text) override { pending_.push_back({formatter_.Error(text), true}); }
  void ShowSeparator(std::string_view text) override { pending_.push_back({formatter_.Separator(text), false}); }

  virtual void Flush() = 0;

 protected:
  struct Line {
    std::string text;
    bool error;
  };

  // Errors to stderr, the rest to stdout, each line whole.
  void WriteLines() {
    for (const Line& line : pending_) {
      std::FILE* const stream = line.error ? stderr : stdout;
      std::fwrite(line.text.data(), 1, line.text.size(), stream);
      std::fputc('\n', stream);
    }
    pending_.clear();
    std::fflush(stdout);
    std::fflush(stderr);
  }

  std::vector<Line> pending_;

 private:
  const Formatter formatter_;
};

class ScriptOutput final : public ChatOutput {
 public:
  using ChatOutput::ChatOutput;

  void Flush() override { WriteLines(); }

  // On a line of its own, so that everything a script reads is whole lines.
  void ShowPrompt(std::string_view prompt) {
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
};

class TerminalOutput final : public ChatOutput {
 public:
  using ChatOutput::ChatOutput;

  // While an editor is attached, every line goes above its input line, on stdout.
  void Attach(LineEditor* editor) { editor_ = editor; }

  void Flush() override {
    if (editor_ == nullptr) return WriteLines();
    std::vector<std::string> lines;
    lines.reserve(pending_.size());
    for (Line& line : pending_) lines.push_back(std::move(line.text));
    pending_.clear();
    editor_->PrintAbove(lines);
  }

 private:
  LineEditor* editor_ = nullptr;
};

std::string PromptFor(const Session& session) {
  if (session.state() == Session::State::kNaming) return std::string(kNamePrompt);
  return session.name() + "> ";
}

bool TakesInput(const Session& session) {
  return session.state() == Session::State::kNaming || session.state() == Session::State::kChatting;
}

// A line of input: a name until one is added, then chat. Returns the exit code when the line ends
// the chat: 0 when the person asked to leave, 1 when the server cannot be used.
std::optional<int> HandleInput(Session& session, std::string_view line) {
  if (session.state() == Session::State::kNaming) {
    if (session.ChooseName(line) == NameResult::kFailed) return 1;
    return std::nullopt;
  }
  if (session.HandleLine(line) == LineResult::kQuit) return 0;
  return std::nullopt;
}

struct Ready {
  bool input = false;
  bool wake = false;
};

// Waits until stdin (if `watch_input`) or the wake pipe is readable, or until `deadline`.
Ready Wait(int wake_fd, bool watch_input, std::optional<SteadyTime> deadline) {
  pollfd fds[2] = {{wake_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  int timeout_ms = -1;
  if (deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
    timeout_ms = static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
  }
  if (poll(fds, watch_input ? 2 : 1, timeout_ms) <= 0) return {};  // timed out, or a signal (EINTR)
  constexpr short kReadable = POLLIN | POLLHUP | POLLERR;
  return {watch_input && (fds[1].revents & kReadable) != 0, (fds[0].revents & kReadable) != 0};
}

int RunInteractive(Session& session, WakePipe& wake, TerminalOutput& output) {
  LineEditor editor(PromptFor(session));
  output.Attach(&editor);
  output.Flush();
  int code = -1;
  while (code < 0) {
    const Ready ready = Wait(wake.fd(), true, std::nullopt);
    if (ready.wake) {
      for (int signal : wake.Drain()) {
        if (signal == SIGWINCH) {
          editor.Resize();
        } else if (signal == SIGTSTP) {
          editor.ReleaseTerminal();
          wake.StopProcess();
          editor.RetakeTerminal();
        } else {
          code = signal == SIGINT ? 0 : 128 + signal;  // Ctrl-C is one way to leave
        }
      }
      session.ProcessEvents();
    }
    if (ready.input && code < 0) editor.ReadInput();
    while (code < 0) {
      const std::optional<std::string> line = editor.TakeLine();
      if (!line) break;
      if (const std::optional<int> exit_code = HandleInput(session, *line)) code = *exit_code;
    }
    if (editor.at_end() && code < 0) code = 0;
    output.Flush();
    if (code < 0) editor.SetPrompt(PromptFor(session));
  }
  output.Attach(nullptr);
  return code;
}

// Lines are taken one at a time: the next only once the room's echo of what the previous one sent
// has arrived (or kEchoPatience has passed), so that the transcript on stdout is in the order of
// the input, and at the end of input nothing sent is missing from it.
int RunScripted(Session& session, WakePipe& wake, ScriptOutput& output) {
  LineSplitter input;
  bool input_open = true;
  std::optional<SteadyTime> echo_deadline;
  const auto echoed = [&] {
    return session.AllEchoed() || (echo_deadline && std::chrono::steady_clock::now() >= *echo_deadline);
  };
  if (session.state() == Session::State::kNaming) output.ShowPrompt(kNamePrompt);
  while (true) {
    if (TakesInput(session) && echoed()) {
      if (const std::optional<std::string> line = input.TakeLine()) {
        const std::optional<int> exit_code = HandleInput(session, *line);
        output.Flush();
        if (exit_code) return *exit_code;
        if (session.state() == Session::State::kNaming) output.ShowPrompt(kNamePrompt);
        echo_deadline = std::chrono::steady_clock::now() + kEchoPatience;
        continue;
      }
    }
    if (!input_open && !input.has_line()) {
      if (session.state() == Session::State::kNaming) {
        output.ShowError("input ended before a name was chosen");
        output.Flush();
        return 1;
      }
      if (echoed()) return 0;
    }

    const bool want_input = input_open && !input.has_line() && TakesInput(session);
    const Ready ready = Wait(wake.fd(), want_input, echoed() ? std::nullopt : echo_deadline);
    if (ready.wake) {
      if (const std::vector<int> signals = wake.Drain(); !signals.empty()) return 128 + signals.front();
      session.ProcessEvents();
      output.Flush();
    }
    if (ready.input) {
      char buffer[4096];
      const ssize_t got = read(STDIN_FILENO, buffer, sizeof buffer);
      if (got > 0) {
        input.Append(std::string_view(buffer, static_cast<std::size_t>(got)));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        input_open = false;
        input.Finish();
      }
    }
  }
}

// Connects, takes the --user name if there is one, then runs `loop` with an Output of the mode.
template <typename Output>
int Run(const ChatOptions& options, WakePipe& wake, int (*loop)(Session&, WakePipe&, Output&)) {
  Output output(options.format);
  Session session(options.session, &output, [&wake] { wake.Notify(); });
  if (Status up = session.Connect(); !up.ok()) {
    output.ShowError(up.message());
    output.Flush();
    return 1;
  }
  if (options.user) {
    const NameResult named = session.ChooseName(*options.user);
    output.Flush();
    if (named == NameResult::kFailed || (named == NameResult::kRefused && !options.ask_again)) return 1;
  }
  return loop(session, wake, output);
}

}  // namespace

int RunChat(const ChatOptions& options) {
  WakePipe wake;
  if (options.interactive) {
    wake.CatchSignals({SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP});
    return Run<TerminalOutput>(options, wake, RunInteractive);
  }
  wake.CatchSignals({SIGINT, SIGTERM, SIGHUP});
  return Run<ScriptOutput>(options, wake, RunScripted);
}

}  // namespace chat::cli
