// What a Client and its streams share: the connection, its stubs, the session token, and which RPC
// its streams use.
#ifndef CHAT_SRC_CLIENT_CLIENT_CORE_H_
#define CHAT_SRC_CLIENT_CLIENT_CORE_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>

#include "chat.grpc.pb.h"
#include "chat/client.h"
#include "chat/status.h"
#include "wire/wire.h"

namespace chat {

// Shared by the Client and every Subscription it started, so that a stream can resume (and be
// freed) after the Client is gone. The last reference may be dropped on the owner's thread or a
// Subscription's resume thread, never on a gRPC thread (see subscription.h).
//
// Thread-safe: the options, channel and stubs never change; mu_ guards session_;
// subscribe_unimplemented_ is atomic and only ever goes from false to true.
class ClientCore {
 public:
  // The metadata that carries the session token on every call (docs/protocol.md, "Sessions").
  static constexpr char kSessionMetadata[] = "chat-session";

  explicit ClientCore(ClientOptions options);

  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  const ClientOptions& options() const { return options_; }
  grpc::Channel& channel() { return *channel_; }
  Chat::Stub& stub() { return *stub_; }
  // For the streams, which read bytes (client_listen_call.h).
  grpc::GenericStub& generic_stub() { return *generic_stub_; }

  // Whether the server answered Subscribe UNIMPLEMENTED (a server older than it): the streams of this
  // client then use Listen, from then on, rather than ask again each time.
  bool subscribe_unimplemented() const { return subscribe_unimplemented_.load(); }
  void FallBackToListen() { subscribe_unimplemented_.store(true); }

  // The kept token; empty when there is no session.
  std::string session() const;
  // Keeps `token` from an ADDED answer.
  void KeepSession(std::string token);
  // Drops the session if it is still `token`: a call made with it learned that it is over. A token
  // kept meanwhile (a new AddUser) stays.
  void ForgetSession(const std::string& token);

  // Adds the session's metadata to `context` when there is a session; returns the token it sent
  // (empty: none), for Answered.
  std::string Authenticate(grpc::ClientContext* context) const;

  // The status of a call made with `token`. UNAUTHENTICATED means the server no longer knows the
  // session, which is then forgotten.
  Status Answered(const grpc::Status& status, const std::string& token);

  // Runs one unary call with the call deadline and the session's metadata. `sent` (optional)
  // receives the token the call carried.
  template <typename Request, typename Response>
  Status Call(grpc::Status (Chat::Stub::*method)(grpc::ClientContext*, const Request&, Response*),
              const Request& request, Response* response, std::string* sent = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + options_.rpc_timeout);
    const std::string token = Authenticate(&context);
    if (sent != nullptr) *sent = token;
    return Answered((stub_.get()->*method)(&context, request, response), token);
  }

 private:
  const ClientOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<Chat::Stub> stub_;
  const std::unique_ptr<grpc::GenericStub> generic_stub_;
  std::atomic<bool> subscribe_unimplemented_{false};

  mutable std::mutex mu_;
  std::string session_;
};

}  // namespace chat

#endif  // CHAT_SRC_CLIENT_CLIENT_CORE_H_
