// The input line of an interactive chat-cli: GNU readline through its callback interface, so that
// lines from the room are printed above the line being typed while it stays intact and editable.
#ifndef CHAT_CLI_LINE_EDITOR_H_
#define CHAT_CLI_LINE_EDITOR_H_

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace chat::cli {

// Owns the terminal while it exists: stdin in readline's raw mode, the prompt on the last line.
// Every entered line is taken off the screen (the room's echo of it is what stays in the
// transcript) and added to the history.
//
// readline is process-wide state and not thread-safe: at most one LineEditor may exist at a time,
// and every method must be called from the thread that created it.
class LineEditor {
 public:
  explicit LineEditor(std::string prompt);
  // Erases the prompt and gives the terminal back as it was. Runs on every way out.
  ~LineEditor();

  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  void SetPrompt(std::string prompt);

  // Call when stdin is readable: lets readline take what the person typed.
  void ReadInput();

  // The lines entered so far and not yet taken, oldest first. A pasted block of several lines is
  // several lines.
  std::optional<std::string> TakeLine();

  // True once the person pressed Ctrl-D on an empty line.
  bool at_end() const { return at_end_; }

  // Prints `lines` (no newlines in them) above the input line, then draws the prompt and what
  // was being typed again, with the cursor where it was.
  void PrintAbove(const std::vector<std::string>& lines);

  // The window changed size (SIGWINCH).
  void Resize();

  // Around a stop of the process (SIGTSTP): gives the terminal back, and takes it again.
  void ReleaseTerminal();
  void RetakeTerminal();

 private:
  static void OnLine(char* line);
  static int AcceptLine(int count, int key);
  void Remove();

  std::string prompt_;
  std::deque<std::string> lines_;
  std::optional<std::string> accepted_;  // what AcceptLine took off the screen, for OnLine
  bool installed_ = false;
  bool at_end_ = false;
};

}  // namespace chat::cli

#endif  // CHAT_CLI_LINE_EDITOR_H_
