// The embedding hooks behind chat::Observer and chat::Bot (chat/server.h).
#ifndef CHAT_SRC_SERVER_EMBEDDING_EMBEDDING_H_
#define CHAT_SRC_SERVER_EMBEDDING_EMBEDDING_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "chat/server.h"
#include "room/room.h"
#include "server/embedding/dispatching_subscriber.h"

namespace chat {

class Observer::Impl {
 public:
  // Observes `room` until destroyed; UNAVAILABLE when the room is closed.
  static Result<std::unique_ptr<Impl>> Start(std::shared_ptr<Room> room, std::size_t max_queued,
                                             MessageHandler on_message, EndHandler on_end);
  ~Impl();

 private:
  Impl(std::shared_ptr<Room> room, std::unique_ptr<DispatchingSubscriber> subscriber)
      : room_(std::move(room)), subscriber_(std::move(subscriber)) {}

  const std::shared_ptr<Room> room_;  // shared, so that the Observer may outlive the Server
  const std::unique_ptr<DispatchingSubscriber> subscriber_;
};

class Bot::Impl {
 public:
  // Joins `room` as `name` and returns the Bot. INVALID_ARGUMENT or ALREADY_EXISTS (with the
  // room's sentence) when the name cannot be had; UNAVAILABLE when the room is closed. `on_end`
  // is the subscriber's: the room closes it on eviction and on shutdown, never on Unsubscribe.
  static Result<std::unique_ptr<Bot>> Join(std::shared_ptr<Room> room, std::size_t max_queued, std::string_view name,
                                           BotHandler on_message, EndHandler on_end);
  ~Impl();

  const std::string& name() const { return name_; }
  Result<std::uint64_t> Say(std::string_view text) { return room_->Post(peer_, "", text); }

 private:
  Impl(std::shared_ptr<Room> room, std::string name, std::size_t max_queued, BotHandler on_message,
       EndHandler on_end);

  const std::shared_ptr<Room> room_;
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
