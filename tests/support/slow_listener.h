// Listeners that fall behind the server: one that stopped reading, one that reads at a fixed pace.
// Both keep HTTP/2's initial receive window of 64 kB per stream (BDP probing off). gRPC's own
// client grows its window to megabytes on a fast link, and what it has not read then waits in its
// own transport, not in the server's queue for the stream; these make the server queue early.
#ifndef CHAT_TESTS_SUPPORT_SLOW_LISTENER_H_
#define CHAT_TESTS_SUPPORT_SLOW_LISTENER_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include "chat.grpc.pb.h"
#include "support/stream_reader.h"
#include "support/test_server.h"

namespace chat::testing {

// A connection of its own to `server` with a 64 kB receive window per stream.
std::unique_ptr<Chat::Stub> SmallWindowStub(const TestServer& server);

// A client that opened its stream and then stopped reading, like StalledListener, on a small window:
// some twenty messages of 3000 bytes fill it. Registered as `name`, or not at all when it is empty.
struct SmallWindowStalledListener {
  SmallWindowStalledListener(const TestServer& server, const std::string& name, StreamRpc rpc = StreamRpc::kListen);

  std::unique_ptr<Chat::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<StreamReader> reader;
};

// A user whose client reads its stream at a steady pace, on a small window: a person behind a slow
// link or a slow screen, who keeps reading but no faster than that.
class PacedListener {
 public:
  // Registers `name` on `server` and opens its stream (fails the test if either does not succeed),
  // then reads it on a thread of its own, one message per slot of a steady-clock schedule of
  // `messages_per_second`: a late read (a loaded machine) takes the slots it missed at once, so the
  // pace holds on average.
  PacedListener(const TestServer& server, const std::string& name, int messages_per_second);
  // Cancels the stream and waits for the thread.
  ~PacedListener();

  PacedListener(const PacedListener&) = delete;
  PacedListener& operator=(const PacedListener&) = delete;

  // The messages read so far, in order.
  std::vector<Message> Read() const;
  // How the stream ended; nullopt while it is open.
  std::optional<grpc::Status> Ended() const;

 private:
  void Run(int messages_per_second);

  std::unique_ptr<Chat::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<Message>> reader_;
  mutable std::mutex mu_;
  std::vector<Message> read_;          // guarded by mu_
  std::optional<grpc::Status> ended_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_SLOW_LISTENER_H_
