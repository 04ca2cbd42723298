#include "session.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "backoff.h"
#include "chat/rules.h"
#include "command.h"
#include "error_text.h"

namespace chat::cli {

Session::Session(SessionOptions options, SessionOutput* output, std::function<void()> wake)
    : options_(std::move(options)), output_(output), wake_(std::move(wake)) {}

Session::~Session() { Leave(); }

Status Session::Connect() {
  auto client = std::make_unique<Client>(options_.client);
  // Its status already reads "cannot reach server at HOST:PORT", as the person should see it.
  if (Status up = client->WaitForConnection(options_.connect_timeout); !up.ok()) return up;
  connection_.client = std::move(client);
  state_ = State::kNaming;
  return Status::Ok();
}

NameResult Session::ChooseName(std::string_view name) {
  name = TrimText(name);
  Result<Registration> answer = connection_.client->AddUser(name);
  if (!answer.ok() && answer.status().code() == StatusCode::kUnavailable) {  // see session.h
    const Status reconnected = Connect();
    answer = reconnected.ok() ? connection_.client->AddUser(name) : Result<Registration>(reconnected);
  }
  const std::optional<Registration> registration = ShowRegistration(answer);
  if (!registration) return NameResult::kFailed;
  if (registration->code != RegistrationCode::kAdded) return NameResult::kRefused;
  Result<std::unique_ptr<Subscription>> subscription = Subscribe(*connection_.client, generation_);
  if (!subscription.ok()) {
    ShowFailedCall(subscription.status());
    return NameResult::kFailed;
  }
  connection_.subscription = std::move(subscription).value();
  name_ = std::string(name);
  state_ = State::kChatting;
  output_->ShowNotice(registration->message);
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
  state_ = State::kLeft;
  {
    std::lock_guard<std::mutex> lock(mu_);
    leaving_ = true;
  }
  changed_.notify_all();  // a handler waiting for space gives up, so the subscription can stop
  StopReconnecting();
  DropConnection();
  // Queued events may hold a connection the reconnecting thread handed over. Destroying it stops
  // its stream, whose handlers take mu_, so it is destroyed outside the lock.
  std::deque<Event> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events.swap(events_);
  }
}

Result<std::unique_ptr<Subscription>> Session::Subscribe(Client& client, std::uint64_t generation) {
  return client.Listen(
      [this, generation](const ChatMessage& message) {
        Event event;
        event.generation = generation;
        event.message = message;
        Post(std::move(event));
      },
      [this, generation](const Status& reason) {
        Event event;
        event.kind = Event::Kind::kEnded;
        event.generation = generation;
        event.status = reason;
        Post(std::move(event));
      });
}

// Runs on gRPC's threads and the reconnecting thread.
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
  const bool current = event.generation == generation_;
  switch (event.kind) {
    case Event::Kind::kMessage:
      if (current) seen_id_ = std::max(seen_id_, event.message.id);
      output_->ShowMessage(event.message);
      return;
    case Event::Kind::kEnded:
      if (!current) return;
      if (state_ == State::kChatting) {
        LoseConnection(event.status);
      } else if (state_ == State::kReconnecting) {
        lost_before_adopted_ = event.status;  // its kReconnected is still on the way
      }
      return;
    case Event::Kind::kReconnected:
      if (current && state_ == State::kReconnecting) Adopt(event);
      return;
    case Event::Kind::kRetrying:
      if (current && state_ == State::kReconnecting) output_->ShowError(event.text);
      return;
  }
}

void Session::Adopt(Event& event) {
  StopReconnecting();  // it has finished; this only joins it
  connection_ = std::move(event.connection);
  state_ = State::kChatting;
  output_->ShowNotice(fmt::format("reconnected to {} as {}", options_.client.server_address, name_));
  if (lost_before_adopted_) LoseConnection(*std::exchange(lost_before_adopted_, std::nullopt));
}

void Session::Send(const std::string& text) {
  const Result<std::uint64_t> id = connection_.client->Send(text);
  if (!id.ok()) {
    ShowFailedCall(id.status());
    return;
  }
  last_sent_id_ = std::max(last_sent_id_, *id);
}

void Session::ListUsers() {
  const Result<std::vector<std::string>> users = connection_.client->ListUsers();
  if (!users.ok()) {
    ShowFailedCall(users.status());
    return;
  }
  output_->ShowNotice(fmt::format("{} user{}: {}", users->size(), users->size() == 1 ? "" : "s",
                                  fmt::join(*users, ", ")));
}

void Session::Rename(const std::string& name) {
  const std::optional<Registration> registration = ShowRegistration(connection_.client->AddUser(name));
  if (!registration || registration->code != RegistrationCode::kAdded) return;
  // A real change is announced to the whole room, this session included; asking for the name
  // one already has is answered only here.
  if (name == name_) output_->ShowNotice(registration->message);
  name_ = name;
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

void Session::LoseConnection(const Status& reason) {
  DropConnection();
  output_->ShowError(DescribeLostConnection(reason, options_.client.server_address) + "; reconnecting");
  StartReconnecting();
}

void Session::DropConnection() {
  connection_.subscription.reset();  // ends the stream: the server frees the name now
  connection_.client.reset();
}

void Session::StartReconnecting() {
  StopReconnecting();
  state_ = State::kReconnecting;
  ++generation_;
  last_sent_id_ = 0;  // a new server numbers its messages from 1 again
  seen_id_ = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_reconnecting_ = false;
  }
  reconnecting_ = std::thread([this, name = name_, generation = generation_] { Reconnect(name, generation); });
}

// Runs on the reconnecting thread. Only the event queue is shared with the owner.
void Session::Reconnect(std::string name, std::uint64_t generation) {
  Backoff backoff(options_.first_backoff, options_.max_backoff);
  bool said_taken = false;
  while (WaitBeforeAttempt(backoff.Next())) {
    auto client = std::make_unique<Client>(options_.client);
    if (!client->WaitForConnection(options_.attempt_timeout).ok()) continue;
    const Result<Registration> registration = client->AddUser(name);
    if (!registration.ok()) continue;
    if (registration->code != RegistrationCode::kAdded) {
      // Usually the server has not yet noticed that the old connection is gone.
      if (!std::exchange(said_taken, true)) {
        Event event;
        event.kind = Event::Kind::kRetrying;
        event.generation = generation;
        event.text = fmt::format("cannot take the name {} back yet ({}); still trying", name, registration->message);
        Post(std::move(event));
      }
      continue;
    }
    Result<std::unique_ptr<Subscription>> subscription = Subscribe(*client, generation);
    if (!subscription.ok()) continue;
    Event event;
    event.kind = Event::Kind::kReconnected;
    event.generation = generation;
    event.connection.client = std::move(client);
    event.connection.subscription = std::move(subscription).value();
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
