// A Server whose room is kept by a backend of the caller's choice (backend/room_backend.h), for
// the library itself: Server::Start chooses from ServerOptions, and the tests of the backend seam
// start servers on backends of their own.
#ifndef CHAT_SRC_SERVER_SERVER_WITH_BACKEND_H_
#define CHAT_SRC_SERVER_SERVER_WITH_BACKEND_H_

#include <functional>
#include <memory>

#include "backend/room_backend.h"
#include "chat/server.h"
#include "room/room.h"

namespace chat {

// Makes the server's backend from the room options the server derived from its ServerOptions; an
// error stops Start() with it.
using BackendFactory = std::function<Result<std::shared_ptr<RoomBackend>>(RoomOptions room)>;

struct ServerWithBackend {
  // Server::Start, on the backend `make_backend` returns.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, const BackendFactory& make_backend);
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_SERVER_WITH_BACKEND_H_
