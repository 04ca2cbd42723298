#include "server/embedding/embedding.h"

#include <atomic>
#include <cstdint>
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

}  // namespace

Result<std::unique_ptr<Observer::Impl>> Observer::Impl::Start(std::shared_ptr<Room> room, std::size_t max_queued,
                                                              MessageHandler on_message, EndHandler on_end) {
  auto subscriber = std::make_unique<DispatchingSubscriber>(max_queued, std::move(on_message), std::move(on_end));
  if (Status observing = room->Observe(subscriber.get()); !observing.ok()) return observing;
  subscriber->Start();
  return std::unique_ptr<Impl>(new Impl(std::move(room), std::move(subscriber)));
}

Observer::Impl::~Impl() { room_->Unobserve(subscriber_.get()); }

Observer::Observer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Observer::~Observer() = default;

Result<std::unique_ptr<Bot>> Bot::Impl::Join(std::shared_ptr<Room> room, std::size_t max_queued,
                                             std::string_view name, BotHandler on_message, EndHandler on_end) {
  std::unique_ptr<Impl> impl(
      new Impl(std::move(room), std::string(name), max_queued, std::move(on_message), std::move(on_end)));
  // Listening first, so that the name is never bound to a peer without a stream.
  if (Result<std::size_t> listening = impl->room_->Subscribe(impl->peer_, impl->subscriber_.get()); !listening.ok()) {
    return listening.status();
  }
  const Result<Registration> registration = impl->room_->Register(impl->peer_, name);
  if (!registration.ok() || registration->code != RegistrationCode::kAdded) {
    impl->room_->Unsubscribe(impl->subscriber_.get());
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

Bot::Impl::Impl(std::shared_ptr<Room> room, std::string name, std::size_t max_queued, BotHandler on_message,
                EndHandler on_end)
    : room_(std::move(room)),
      name_(std::move(name)),
      peer_(NewBotPeer()),
      on_message_(std::move(on_message)),
      subscriber_(std::make_unique<DispatchingSubscriber>(
          max_queued,
          [this](const ChatMessage& message) {
            if (on_message_) on_message_(*self_, message);
          },
          std::move(on_end))) {}

Bot::Impl::~Impl() { room_->Unsubscribe(subscriber_.get()); }

Bot::Bot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Bot::~Bot() = default;

const std::string& Bot::name() const { return impl_->name(); }
Result<std::uint64_t> Bot::Say(std::string_view text) { return impl_->Say(text); }

}  // namespace chat
