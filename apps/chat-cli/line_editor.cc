#include "line_editor.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

// readline's headers need stdio's FILE declared first.
#include <readline/history.h>
#include <readline/readline.h>

namespace chat::cli {
namespace {

// readline calls plain functions; they reach the editor through this.
LineEditor* current = nullptr;

constexpr int kHistorySize = 1000;

}  // namespace

LineEditor::LineEditor(std::string prompt) : prompt_(std::move(prompt)) {
  current = this;
  rl_readline_name = "chat-cli";
  // chat-cli's loop catches the signals and handles them between reads; readline's own handlers
  // would act inside it, on whichever thread the signal landed.
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_change_environment = 0;
  // An empty Enter leaves no empty prompt line behind; AcceptLine relies on it too.
  rl_erase_empty_line = 1;
  rl_initialize();  // reads ~/.inputrc, so the bindings below come after it
  for (Keymap keymap : {emacs_standard_keymap, vi_insertion_keymap, vi_movement_keymap}) {
    rl_bind_key_in_map('\r', AcceptLine, keymap);
    rl_bind_key_in_map('\n', AcceptLine, keymap);
  }
  // Filename completion makes no sense in a chat; Tab is a character like any other.
  rl_bind_key('\t', rl_insert);
  using_history();
  stifle_history(kHistorySize);
  rl_callback_handler_install(prompt_.c_str(), OnLine);
  installed_ = true;
}

LineEditor::~LineEditor() {
  Remove();
  current = nullptr;
}

void LineEditor::SetPrompt(std::string prompt) {
  if (prompt == prompt_) return;
  prompt_ = std::move(prompt);
  if (!installed_) return;
  rl_clear_visible_line();
  rl_set_prompt(prompt_.c_str());
  rl_on_new_line();
  rl_redisplay();
}

void LineEditor::ReadInput() {
  if (installed_) rl_callback_read_char();
}

std::optional<std::string> LineEditor::TakeLine() {
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

void LineEditor::PrintAbove(const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  if (installed_) rl_clear_visible_line();
  for (const std::string& line : lines) {
    std::fwrite(line.data(), 1, line.size(), rl_outstream);
    std::fputc('\n', rl_outstream);
  }
  std::fflush(rl_outstream);
  if (!installed_) return;
  rl_on_new_line();
  rl_redisplay();
}

void LineEditor::Resize() {
  if (installed_) rl_resize_terminal();
}

void LineEditor::ReleaseTerminal() {
  if (!installed_) return;
  rl_clear_visible_line();
  std::fflush(rl_outstream);
  rl_deprep_terminal();
}

void LineEditor::RetakeTerminal() {
  if (!installed_) return;
  rl_prep_terminal(0);
  rl_on_new_line();
  rl_forced_update_display();
}

// Bound to Enter. The typed line is taken off the screen and the buffer emptied before readline
// accepts it: with rl_erase_empty_line set, accepting an empty buffer writes no newline, so the
// prompt is drawn again on the same row and nothing of the line remains. The room's echo shows
// what was sent; a command's answer shows what it did.
int LineEditor::AcceptLine(int count, int key) {
  current->accepted_ = std::string(rl_line_buffer, static_cast<std::size_t>(rl_end));
  rl_clear_visible_line();
  rl_replace_line("", 0);
  rl_point = 0;
  rl_mark = 0;
  return rl_newline(count, key);
}

void LineEditor::OnLine(char* line) {
  LineEditor& editor = *current;
  if (line == nullptr) {  // Ctrl-D on an empty line
    // With bracketed paste on, readline has already left the prompt's row for the next one as it
    // gave the terminal back; go up to erase the prompt, as every other way out does.
    const char* bracketed_paste = rl_variable_value("enable-bracketed-paste");
    if (bracketed_paste != nullptr && std::string_view(bracketed_paste) == "on") std::fputs("\x1b[A", rl_outstream);
    editor.at_end_ = true;
    editor.Remove();
    return;
  }
  // A line accepted by another binding (say, operate-and-get-next) arrives as readline has it.
  std::string text = editor.accepted_ ? *std::exchange(editor.accepted_, std::nullopt) : std::string(line);
  std::free(line);
  if (!text.empty()) add_history(text.c_str());
  // Bracketed paste puts a pasted block into one buffer.
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find_first_of("\r\n", start);
    editor.lines_.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

void LineEditor::Remove() {
  if (!installed_) return;
  installed_ = false;
  rl_clear_visible_line();
  std::fflush(rl_outstream);
  rl_callback_handler_remove();
}

}  // namespace chat::cli
