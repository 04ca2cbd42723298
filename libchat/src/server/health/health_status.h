#ifndef CHAT_SRC_SERVER_HEALTH_HEALTH_STATUS_H_
#define CHAT_SRC_SERVER_HEALTH_HEALTH_STATUS_H_

#include <mutex>
#include <string_view>
#include <vector>

#include "health.pb.h"

namespace chat {

using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

// Whether the server serves, as grpc.health.v1.Health reports it, for "" (the whole server) and
// "chat.Chat"; other names are unknown. Watch calls register to hear of every change.
//
// Threading: every method from any thread; mu_ guards all state. Watchers are told with mu_ held,
// so they must not call back into HealthStatus from StatusChanged or Close.
class HealthStatus {
 public:
  // A Watch stream.
  class Watcher {
   public:
    virtual void StatusChanged(ServingStatus status) = 0;
    // The server is going away: end the stream once the status sent last has gone out.
    virtual void Close() = 0;

   protected:
    ~Watcher() = default;
  };

  // SERVING or NOT_SERVING for a service served here; SERVICE_UNKNOWN otherwise.
  ServingStatus Of(std::string_view service) const;

  // Sets the status of everything served here and tells every watcher.
  void SetServing(bool serving);

  // Registers `watcher` and tells it the status at once (StatusChanged, with mu_ held), so that it
  // hears of every change from there on. False when closed (and registers nothing).
  bool Watch(Watcher* watcher);
  void Unwatch(Watcher* watcher);

  // Closes every watcher and refuses new ones.
  void Close();

 private:
  mutable std::mutex mu_;
  bool serving_ = false;
  bool closed_ = false;
  std::vector<Watcher*> watchers_;
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_HEALTH_HEALTH_STATUS_H_
