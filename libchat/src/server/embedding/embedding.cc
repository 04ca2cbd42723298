#include "server/embedding/embedding.h"

#include <atomic>
#include <cstdint>
#include <future>
#include <string>
#include <utility>

namespace chat {
namespace {

// A peer of its own for every bot, even one asking for a name another bot has: a shared peer
// would make the second bot's registration a rename of the first.
std::string NewBotPeer() {
  static std::atomic<std::uint64_t> next{1};
  return "bot:" + std::to_string(next.fetch_add(1, std::memory_order_relaxed));
}

// Asks the backend through `request` (which passes it the reply) and waits for the answer. Only
// for the embedders' threads: a completion-queue thread never waits for a backend.
template <class T, class Request>
Result<T> Await(Request request) {
  std::promise<Result<T>> answer;
  std::future<Result<T>> answered = answer.get_future();
  request([&answer](Result<T> result) { answer.set_value(std::move(result)); });
  return answered.get();
}

}  // namespace

Result<std::unique_ptr<Observer::Impl>> Observer::Impl::Start(std::shared_ptr<RoomBackend> backend, std::size_t max_queued,
                                                              MessageHandler on_message, EndHandler on_end) {
  auto subscriber = std::make_unique<DispatchingSubscriber>(max_queued, std::move(on_message), std::move(on_end));
  if (Status observing = backend->Observe(subscriber.get()); !observing.ok()) return observing;
  subscriber->Start();
  return std::unique_ptr<Impl>(new Impl(std::move(backend), std::move(subscriber)));
}

Observer::Impl::~Impl() { backend_->Unobserve(subscriber_.get()); }

Observer::Observer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Observer::~Observer() = default;

Result<std::unique_ptr<Bot>> Bot::Impl::Join(std::shared_ptr<RoomBackend> backend, std::size_t max_queued,
                                             std::string_view name, BotHandler on_message, EndHandler on_end) {
  std::unique_ptr<Impl> impl(
      new Impl(std::move(backend), std::string(name), max_queued, std::move(on_message), std::move(on_end)));
  RoomBackend& room = *impl->backend_;
  // Listening first, so that the name is never bound to a peer without a stream.
  const Result<std::size_t> listening = Await<std::size_t>([&](Reply<std::size_t> reply) {
    room.Subscribe(impl->peer_, impl->subscriber_.get(), ListenFrom{}, std::move(reply));
  });
  if (!listening.ok()) return listening.status();
  const Result<Registration> registration =
      Await<Registration>([&](Reply<Registration> reply) { room.Register(impl->peer_, name, std::move(reply)); });
  if (!registration.ok() || registration->code != RegistrationCode::kAdded) {
    room.Unsubscribe(impl->subscriber_.get());
    if (!registration.ok()) return registration.status();
    const StatusCode code = registration->code == RegistrationCode::kTaken ? StatusCode::kAlreadyExists
                                                                           : StatusCode::kInvalidArgument;
    return Status(code, registration->message);
  }
  // What the room said meanwhile (the bot's own join, at least) has waited in the queue: the
  // handler is given the Bot, which exists only now.
  Impl* const raw = impl.get();
  auto bot = std::make_unique<Bot>(std::move(impl));
  raw->self_ = bot.get();
  raw->subscriber_->Start();
  return bot;
}

Bot::Impl::Impl(std::shared_ptr<RoomBackend> backend, std::string name, std::size_t max_queued,
                BotHandler on_message, EndHandler on_end)
    : backend_(std::move(backend)),
      name_(std::move(name)),
      peer_(NewBotPeer()),
      on_message_(std::move(on_message)),
      subscriber_(std::make_unique<DispatchingSubscriber>(
          max_queued,
          [this](const ChatMessage& message) {
            if (on_message_) on_message_(*self_, message);
          },
          std::move(on_end))) {}

Bot::Impl::~Impl() { backend_->Unsubscribe(subscriber_.get()); }

Result<std::uint64_t> Bot::Impl::Say(std::string_view text) {
  return Await<std::uint64_t>([&](Reply<std::uint64_t> reply) { backend_->Post(peer_, "", text, std::move(reply)); });
}

Bot::Bot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Bot::~Bot() = default;

const std::string& Bot::name() const { return impl_->name(); }
Result<std::uint64_t> Bot::Say(std::string_view text) { return impl_->Say(text); }

}  // namespace chat
