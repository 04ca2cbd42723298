// One person's chat session: a connection, a name and its server session, the room's stream, the
// commands, and coming back after a lost connection. No terminal in it: what it has to say goes to
// a SessionOutput.
#ifndef CHAT_CLI_SESSION_H_
#define CHAT_CLI_SESSION_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "chat/client.h"
#include "chat/message.h"
#include "chat/status.h"

namespace chat::cli {

// Where a Session's lines go. Called only from the thread that calls the Session's methods. The
// texts are unescaped and may hold anything the server sent; formatting them is the output's job.
class SessionOutput {
 public:
  virtual ~SessionOutput() = default;
  // A message or notice from the room.
  virtual void ShowMessage(const ChatMessage& message) = 0;
  // Something the session says itself: a welcome, the user list, help, being back.
  virtual void ShowNotice(std::string_view text) = 0;
  // Something that went wrong, in one line.
  virtual void ShowError(std::string_view text) = 0;
  // A line that sets a run of messages apart from the live ones: "20 earlier messages", "live".
  virtual void ShowSeparator(std::string_view text) = 0;
};

struct SessionOptions {
  // Where the server is and how to talk to it (chat/client.h), including how long the stream
  // resumes by itself after a lost connection (resume_for) before the session registers again.
  ClientOptions client;
  // --history: how many earlier messages the stream starts with once the name is added (0 to 500).
  std::uint32_t history = 20;
  // How long Connect() waits for the server.
  std::chrono::milliseconds connect_timeout{3000};
  // After a lost connection: how long one attempt waits for the server, and the backoff between
  // attempts (backoff.h).
  std::chrono::milliseconds attempt_timeout{1000};
  std::chrono::milliseconds first_backoff{250};
  std::chrono::milliseconds max_backoff{4000};
  // Messages received and not yet taken by ProcessEvents(). When that many wait, the stream stops
  // reading, so a session that cannot keep up is eventually dropped by the server (and comes back)
  // rather than growing without bound.
  std::size_t max_pending_messages = 10000;
};

enum class NameResult {
  kAdded,    // the name is ours and the stream is open
  kRefused,  // taken or invalid; the reason was shown; another name may be tried
  kFailed,   // the server cannot be used (unreachable, full); the reason was shown
};

enum class LineResult { kContinue, kQuit };

// Coming back after a lost connection happens in two ways, both in state kReconnecting:
//   - The library resumes the stream by itself (same Client, same server session, the name held
//     for it meanwhile): on_interrupted says the connection is lost, on_resumed that it is back,
//     and the messages missed meanwhile follow.
//   - When that cannot work (the server restarted or held the name past its session hold:
//     UNAUTHENTICATED; or resuming gave up), a reconnecting thread registers the name again with
//     backoff, and the owner's thread then listens after the last id shown, so what the server
//     still keeps is caught up on (a kGap first when some is lost).
// Either way the messages replayed are counted off (Subscription::replayed(), on_resumed) and then
// "back: caught up on N messages" is said.
//
// Threading: every method must be called from one thread, the owner's. The stream's handlers (on
// gRPC's threads and the stream's resume thread) and the reconnecting thread only queue events
// under mu_ and call `wake`, which must be thread-safe; ProcessEvents() then handles them on the
// owner's thread. The Client is shared with the reconnecting thread (Client is thread-safe) and
// replaced or destroyed only while that thread is not running. Subscriptions are only ever
// created and destroyed on the owner's thread, never inside their own handlers.
class Session {
 public:
  enum class State {
    kIdle,          // before Connect()
    kNaming,        // connected; ChooseName() until a name is added
    kChatting,      // named and listening; HandleLine() works
    kReconnecting,  // the connection was lost; the stream is resuming, or a thread registering again
    kLeft,          // after Leave()
  };

  // `output` must outlive the session. `wake` is called, from any thread, whenever events are
  // waiting for ProcessEvents().
  Session(SessionOptions options, SessionOutput* output, std::function<void()> wake);
  // Leaves, if Leave() was not called.
  ~Session();

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // kIdle -> kNaming once the server is reachable. UNAVAILABLE "cannot reach server at HOST:PORT"
  // when it is not within connect_timeout.
  Status Connect();

  // In kNaming: asks for `name` (trimmed). When it is added, opens the stream, starting with the
  // last `history` messages (set apart from live ones by separators), and moves to kChatting. Says
  // the server's welcome or reason on the output. A connection lost since Connect()
  // (the server restarted while the person chose a name) is replaced once, within connect_timeout,
  // before giving up: no stream was open on it. (Had the server registered the name just before the
  // connection broke, the new connection is told it is taken until the server's registration grace
  // frees it, and the person may choose another.)
  NameResult ChooseName(std::string_view name);

  // In kChatting or kReconnecting: runs one line of input (command.h). kQuit when the person asked
  // to leave; everything else is answered on the output.
  LineResult HandleLine(std::string_view line);

  // Shows the messages that arrived, and handles a lost connection (kChatting -> kReconnecting)
  // and its return (-> kChatting).
  void ProcessEvents();

  // Stops reconnecting, ends the stream, and ends the server session (Client::Leave), so the server
  // frees the name at once. While the connection is down the server cannot be told, and frees the
  // name after its session hold. Returns within attempt_timeout when the server is unreachable,
  // within the client's rpc_timeout otherwise. Idempotent.
  void Leave();

  State state() const { return state_; }
  // The name added last; empty before.
  const std::string& name() const { return name_; }

  // True when every message this connection sent has come back through its stream (so a
  // transcript of it is complete), or nothing was sent.
  bool AllEchoed() const { return seen_id_ >= last_sent_id_; }

 private:
  struct Event {
    enum class Kind { kMessage, kEnded, kInterrupted, kResumed, kRegistered, kRetrying };
    Kind kind = Kind::kMessage;
    std::uint64_t generation = 0;  // of the subscription it comes from, or that the thread registers for
    ChatMessage message;           // kMessage
    Status status;                 // kEnded, kInterrupted
    std::size_t replayed = 0;      // kResumed
    std::string text;              // kRetrying
  };

  // A run of replayed messages being counted off: the history at the start, or what was missed.
  struct Replay {
    bool catching_up = false;  // false: history
    std::size_t left = 0;
    std::size_t shown = 0;     // messages, not counting a kGap
    bool gap = false;
  };

  // Opens the stream on client_ as the next generation, starting where `from` says.
  Status Subscribe(ListenOptions from);
  void Post(Event event);
  void Handle(Event& event);
  // `current`: from the stream of this generation, whose replayed messages are being counted off.
  void ShowRoomMessage(const ChatMessage& message, bool current);
  void StartReplay(bool catching_up, std::size_t count);
  void FinishReplay();

  void Send(const std::string& text);
  void ListUsers();
  void Rename(const std::string& name);
  void ShowEarlier(std::uint32_t count);
  std::optional<Registration> ShowRegistration(const Result<Registration>& registration);
  // One error line for a call to the server that failed (error_text.h), naming the server.
  void ShowFailedCall(const Status& status);

  void Interrupted(const Status& reason);
  void Resumed(std::size_t replayed);
  void LoseConnection(const Status& reason);
  void Reregistered();
  void StartReconnecting();
  void Reconnect(Client* client, std::string name, std::uint64_t generation);
  bool WaitBeforeAttempt(std::chrono::milliseconds wait);
  void StopReconnecting();

  const SessionOptions options_;
  SessionOutput* const output_;
  const std::function<void()> wake_;

  // The owner's thread alone touches these (client_ is shared with the reconnecting thread while it
  // runs, but not replaced).
  State state_ = State::kIdle;
  std::string name_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<Subscription> subscription_;
  std::uint64_t generation_ = 0;  // of subscription_, or of the one the reconnecting thread is for
  std::optional<Replay> replay_;
  std::uint64_t last_sent_id_ = 0;
  std::uint64_t seen_id_ = 0;     // the last message shown from the stream
  std::uint64_t oldest_id_ = 0;   // the oldest message shown, for /history; 0 before any
  std::thread reconnecting_;

  // mu_ guards the event queue and the stop flags, shared with the handlers and the reconnecting
  // thread.
  std::mutex mu_;
  std::condition_variable changed_;  // space in the queue, or stopping
  std::deque<Event> events_;
  std::size_t pending_messages_ = 0;
  bool leaving_ = false;  // handlers drop messages; nothing waits for space
  bool stop_reconnecting_ = false;
};

}  // namespace chat::cli

#endif  // CHAT_CLI_SESSION_H_
