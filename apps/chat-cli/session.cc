#include "session.h"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "backoff.h"
#include "chat/rules.h"
#include "command.h"
#include "error_text.h"

namespace chat::cli {
namespace {

// "1 message", "3 earlier messages".
std::string Counted(std::size_t count, std::string_view thing) {
  return fmt::format("{} {}{}", count, thing, count == 1 ? "" : "s");
}

}  // namespace

Session::Session(SessionOptions options, SessionOutput* output, std::function<void()> wake)
    : options_(std::move(options)), output_(output), wake_(std::move(wake)) {}

Session::~Session() { Leave(); }

Status Session::Connect() {
  auto client = std::make_unique<Client>(options_.client);
  // Its status already reads "cannot reach server at HOST:PORT", as the person should see it.
  if (Status up = client->WaitForConnection(options_.connect_timeout); !up.ok()) return up;
  client_ = std::move(client);
  state_ = State::kNaming;
  return Status::Ok();
}

NameResult Session::ChooseName(std::string_view name) {
  name = TrimText(name);
  Result<Registration> answer = client_->AddUser(name);
  if (!answer.ok() && answer.status().code() == StatusCode::kUnavailable) {  // see session.h
    const Status reconnected = Connect();
    answer = reconnected.ok() ? client_->AddUser(name) : Result<Registration>(reconnected);
  }
  const std::optional<Registration> registration = ShowRegistration(answer);
  if (!registration) return NameResult::kFailed;
  if (registration->code != RegistrationCode::kAdded) return NameResult::kRefused;
  ListenOptions from;
  from.history = options_.history;
  if (Status listening = Subscribe(from); !listening.ok()) {
    ShowFailedCall(listening);
    return NameResult::kFailed;
  }
  name_ = std::string(name);
  state_ = State::kChatting;
  output_->ShowNotice(registration->message);
  StartReplay(false, subscription_->replayed());
  return NameResult::kAdded;
}

LineResult Session::HandleLine(std::string_view line) {
  const Command command = ParseCommand(line);
  switch (command.kind) {
    case CommandKind::kNothing:
      return LineResult::kContinue;
    case CommandKind::kQuit:
      return LineResult::kQuit;
    case CommandKind::kHelp:
      for (const std::string& help : HelpLines()) output_->ShowNotice(help);
      return LineResult::kContinue;
    case CommandKind::kUnknown:
      output_->ShowError(fmt::format("unknown command {} (/help lists the commands; // sends a line starting with /)",
                                     command.argument));
      return LineResult::kContinue;
    case CommandKind::kUsage:
      output_->ShowError(command.argument);
      return LineResult::kContinue;
    case CommandKind::kSay:
    case CommandKind::kWho:
    case CommandKind::kNick:
    case CommandKind::kHistory:
      break;
  }
  if (state_ != State::kChatting) {
    output_->ShowError(
        fmt::format("not connected; trying to reach {} again (/quit leaves)", options_.client.server_address));
    return LineResult::kContinue;
  }
  if (command.kind == CommandKind::kSay) Send(command.argument);
  if (command.kind == CommandKind::kWho) ListUsers();
  if (command.kind == CommandKind::kNick) Rename(command.argument);
  if (command.kind == CommandKind::kHistory) ShowEarlier(command.count);
  return LineResult::kContinue;
}

void Session::ProcessEvents() {
  std::deque<Event> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events.swap(events_);
    pending_messages_ = 0;
  }
  changed_.notify_all();
  for (Event& event : events) Handle(event);
}

void Session::Leave() {
  if (state_ == State::kLeft) return;
  const bool chatting = state_ == State::kChatting;
  state_ = State::kLeft;
  {
    std::lock_guard<std::mutex> lock(mu_);
    leaving_ = true;
  }
  changed_.notify_all();  // a handler waiting for space gives up, so the subscription can stop
  StopReconnecting();
  subscription_.reset();
  // While reconnecting, only a connection that happens to be up right now is worth a call.
  if (client_ && client_->has_session() &&
      (chatting || client_->WaitForConnection(std::chrono::milliseconds(0)).ok())) {
    client_->Leave();
  }
  client_.reset();
  std::lock_guard<std::mutex> lock(mu_);
  events_.clear();
}

Status Session::Subscribe(ListenOptions from) {
  const std::uint64_t generation = ++generation_;
  const auto post = [this, generation](Event event) {
    event.generation = generation;
    Post(std::move(event));
  };
  from.on_interrupted = [post](const Status& reason) {
    Event event;
    event.kind = Event::Kind::kInterrupted;
    event.status = reason;
    post(std::move(event));
  };
  from.on_resumed = [post](std::size_t replayed) {
    Event event;
    event.kind = Event::Kind::kResumed;
    event.replayed = replayed;
    post(std::move(event));
  };
  Result<std::unique_ptr<Subscription>> subscription = client_->Listen(
      [post](const ChatMessage& message) {
        Event event;
        event.message = message;
        post(std::move(event));
      },
      [post](const Status& reason) {
        Event event;
        event.kind = Event::Kind::kEnded;
        event.status = reason;
        post(std::move(event));
      },
      std::move(from));
  if (!subscription.ok()) return subscription.status();
  subscription_ = std::move(subscription).value();
  return Status::Ok();
}

// Runs on the stream's threads and the reconnecting thread.
void Session::Post(Event event) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (event.kind == Event::Kind::kMessage) {
      changed_.wait(lock, [this] { return leaving_ || pending_messages_ < options_.max_pending_messages; });
      if (leaving_) return;
      ++pending_messages_;
    }
    events_.push_back(std::move(event));
  }
  wake_();
}

void Session::Handle(Event& event) {
  if (event.kind == Event::Kind::kMessage) return ShowRoomMessage(event.message, event.generation == generation_);
  if (event.generation != generation_) return;  // from a stream or an attempt given up on
  switch (event.kind) {
    case Event::Kind::kMessage:
      return;
    case Event::Kind::kInterrupted:
      if (state_ == State::kChatting) Interrupted(event.status);
      return;
    case Event::Kind::kResumed:
      if (state_ == State::kReconnecting) Resumed(event.replayed);
      return;
    case Event::Kind::kEnded:
      if (state_ == State::kChatting) {
        LoseConnection(event.status);
      } else if (state_ == State::kReconnecting) {
        StartReconnecting();  // resuming failed; the loss was said already
      }
      return;
    case Event::Kind::kRegistered:
      if (state_ == State::kReconnecting) Reregistered();
      return;
    case Event::Kind::kRetrying:
      if (state_ == State::kReconnecting) output_->ShowError(event.text);
      return;
  }
}

void Session::ShowRoomMessage(const ChatMessage& message, bool current) {
  seen_id_ = std::max(seen_id_, message.id);
  const bool kept = message.id != 0 && message.kind != MessageKind::kGap;  // a kGap stands for what is not kept
  if (kept && (oldest_id_ == 0 || message.id < oldest_id_)) oldest_id_ = message.id;
  output_->ShowMessage(message);
  if (!replay_ || !current) return;
  if (message.kind == MessageKind::kGap) {
    replay_->gap = true;
  } else {
    ++replay_->shown;
  }
  if (--replay_->left == 0) FinishReplay();
}

// The first `count` messages of the stream from now on are replayed ones.
void Session::StartReplay(bool catching_up, std::size_t count) {
  replay_.reset();
  if (count == 0) {
    if (catching_up) output_->ShowNotice("back: no messages missed");
    return;
  }
  replay_ = Replay{catching_up, count, 0, false};
  if (!catching_up) output_->ShowSeparator(Counted(count, "earlier message"));
}

void Session::FinishReplay() {
  const Replay replay = *std::exchange(replay_, std::nullopt);
  if (!replay.catching_up) return output_->ShowSeparator("live");
  output_->ShowNotice(fmt::format("back: caught up on {}{}", Counted(replay.shown, "message"),
                                  replay.gap ? "; some were lost (see above)" : ""));
}

void Session::Send(const std::string& text) {
  const Result<std::uint64_t> id = client_->Send(text);
  if (!id.ok()) {
    ShowFailedCall(id.status());
    return;
  }
  last_sent_id_ = std::max(last_sent_id_, *id);
}

void Session::ListUsers() {
  const Result<std::vector<std::string>> users = client_->ListUsers();
  if (!users.ok()) {
    ShowFailedCall(users.status());
    return;
  }
  output_->ShowNotice(fmt::format("{} user{}: {}", users->size(), users->size() == 1 ? "" : "s",
                                  fmt::join(*users, ", ")));
}

void Session::Rename(const std::string& name) {
  const std::optional<Registration> registration = ShowRegistration(client_->AddUser(name));
  if (!registration || registration->code != RegistrationCode::kAdded) return;
  // A real change is announced to the whole room, this session included; asking for the name
  // one already has is answered only here.
  if (name == name_) output_->ShowNotice(registration->message);
  name_ = name;
}

// Messages older than any shown so far, set apart. The server says `complete` when nothing it ever
// sequenced lies before them; fewer than asked without it means the older ones are no longer kept.
void Session::ShowEarlier(std::uint32_t count) {
  const Result<HistoryPage> page = client_->History(oldest_id_, count);
  if (!page.ok()) {
    ShowFailedCall(page.status());
    return;
  }
  const std::vector<ChatMessage>& messages = page->messages;
  const bool short_page = messages.size() < count;
  if (messages.empty()) {
    output_->ShowNotice(page->complete ? "nothing further back" : "nothing further back is kept");
    return;
  }
  output_->ShowSeparator(Counted(messages.size(), "earlier message"));
  for (const ChatMessage& message : messages) output_->ShowMessage(message);
  oldest_id_ = messages.front().id;
  if (page->complete) {
    output_->ShowSeparator("nothing further back");
  } else if (short_page) {
    output_->ShowSeparator("nothing further back is kept");
  } else {
    output_->ShowSeparator("end of earlier messages");
  }
}

void Session::ShowFailedCall(const Status& status) {
  output_->ShowError(DescribeError(status, options_.client.server_address));
}

// nullopt when the call failed; a Registration that is not kAdded when the name was refused. Either
// way the reason has been shown, so callers only decide what happens next.
std::optional<Registration> Session::ShowRegistration(const Result<Registration>& registration) {
  if (!registration.ok()) {
    ShowFailedCall(registration.status());
    return std::nullopt;
  }
  if (registration->code != RegistrationCode::kAdded) {
    output_->ShowError(registration->message.empty() ? "the server refused the name" : registration->message);
  }
  return *registration;
}

// The library resumes the stream; until it says so, nothing can be sent.
void Session::Interrupted(const Status& reason) {
  state_ = State::kReconnecting;
  replay_.reset();
  output_->ShowError(DescribeLostConnection(reason, options_.client.server_address) + "; reconnecting");
}

void Session::Resumed(std::size_t replayed) {
  state_ = State::kChatting;
  output_->ShowNotice(fmt::format("reconnected to {} as {}", options_.client.server_address, name_));
  StartReplay(true, replayed);
}

// The stream ended without resuming: said, then the name is registered again.
void Session::LoseConnection(const Status& reason) {
  subscription_.reset();
  output_->ShowError(DescribeLostConnection(reason, options_.client.server_address) + "; reconnecting");
  StartReconnecting();
}

// The name is ours again, under a new session or the same one: the stream continues after the last
// message shown (a server that restarted sends a kGap first), or, with none shown yet, starts with
// the history as at the start.
void Session::Reregistered() {
  StopReconnecting();  // it has finished; this only joins it
  const bool catching_up = seen_id_ != 0;
  ListenOptions from;
  from.after_id = seen_id_;
  if (!catching_up) from.history = options_.history;
  Status listening = Subscribe(from);
  if (listening.code() == StatusCode::kOutOfRange) listening = Subscribe({});  // ids went back: a strange server
  if (!listening.ok()) return StartReconnecting();
  state_ = State::kChatting;
  output_->ShowNotice(fmt::format("reconnected to {} as {}", options_.client.server_address, name_));
  StartReplay(catching_up, subscription_->replayed());
}

void Session::StartReconnecting() {
  StopReconnecting();
  subscription_.reset();
  replay_.reset();
  state_ = State::kReconnecting;
  const std::uint64_t generation = ++generation_;
  last_sent_id_ = 0;  // what was sent and not echoed is caught up on, or lost with the old server
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_reconnecting_ = false;
  }
  reconnecting_ = std::thread([this, name = name_, generation] { Reconnect(client_.get(), name, generation); });
}

// Runs on the reconnecting thread. Only the event queue and the Client (thread-safe) are shared
// with the owner.
void Session::Reconnect(Client* client, std::string name, std::uint64_t generation) {
  Backoff backoff(options_.first_backoff, options_.max_backoff);
  bool said_taken = false;
  while (WaitBeforeAttempt(backoff.Next())) {
    if (!client->WaitForConnection(options_.attempt_timeout).ok()) continue;
    // With the session still known, this takes the held name back; UNAUTHENTICATED drops the
    // session, and the next attempt asks for the name afresh.
    const Result<Registration> registration = client->AddUser(name);
    if (!registration.ok()) continue;
    Event event;
    event.generation = generation;
    if (registration->code != RegistrationCode::kAdded) {
      // Usually the server still holds the name for the session of a connection it has not yet
      // noticed is gone.
      if (!std::exchange(said_taken, true)) {
        event.kind = Event::Kind::kRetrying;
        event.text = fmt::format("cannot take the name {} back yet ({}); still trying", name, registration->message);
        Post(std::move(event));
      }
      continue;
    }
    event.kind = Event::Kind::kRegistered;
    Post(std::move(event));
    return;
  }
}

bool Session::WaitBeforeAttempt(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  return !changed_.wait_for(lock, wait, [this] { return stop_reconnecting_; });
}

void Session::StopReconnecting() {
  if (!reconnecting_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_reconnecting_ = true;
  }
  changed_.notify_all();
  reconnecting_.join();
}

}  // namespace chat::cli
