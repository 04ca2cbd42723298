// The embedding hooks behind chat::Observer and chat::Bot (chat/server.h).
#ifndef CHAT_SRC_SERVER_EMBEDDING_EMBEDDING_H_
#define CHAT_SRC_SERVER_EMBEDDING_EMBEDDING_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "chat/server.h"
#include "backend/room_backend.h"
#include "server/embedding/dispatching_subscriber.h"

namespace chat {

class Observer::Impl {
 public:
  // Observes `backend`'s room until destroyed; UNAVAILABLE when the room is closed.
  static Result<std::unique_ptr<Impl>> Start(std::shared_ptr<RoomBackend> backend, std::size_t max_queued,
                                             MessageHandler on_message, EndHandler on_end);
  ~Impl();

 private:
  Impl(std::shared_ptr<RoomBackend> backend, std::unique_ptr<DispatchingSubscriber> subscriber)
      : backend_(std::move(backend)), subscriber_(std::move(subscriber)) {}

  const std::shared_ptr<RoomBackend> backend_;  // shared, so that the Observer may outlive the Server
  const std::unique_ptr<DispatchingSubscriber> subscriber_;
};

class Bot::Impl {
 public:
  // Joins `backend`'s room as `name` and returns the Bot. INVALID_ARGUMENT or ALREADY_EXISTS (with the
  // room's sentence) when the name cannot be had; UNAVAILABLE when the room is closed. `on_end`
  // is the subscriber's: the backend closes it on eviction and on shutdown, never on Unsubscribe.
  static Result<std::unique_ptr<Bot>> Join(std::shared_ptr<RoomBackend> backend, std::size_t max_queued, std::string_view name,
                                           BotHandler on_message, EndHandler on_end);
  ~Impl();

  const std::string& name() const { return name_; }
  // Waits for the backend's answer: embedders call it from threads of their own.
  Result<std::uint64_t> Say(std::string_view text);

 private:
  Impl(std::shared_ptr<RoomBackend> backend, std::string name, std::size_t max_queued, BotHandler on_message,
       EndHandler on_end);

  const std::shared_ptr<RoomBackend> backend_;
  const std::string name_;
  // How the room knows the bot: "bot:N", unique in the process, and not an address, so it cannot
  // be a connection's.
  const std::string peer_;
  const BotHandler on_message_;
  Bot* self_ = nullptr;  // set before the subscriber starts, constant afterwards
  const std::unique_ptr<DispatchingSubscriber> subscriber_;
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_EMBEDDING_EMBEDDING_H_
