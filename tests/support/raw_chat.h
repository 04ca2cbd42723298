// A client on the generated stub, for what chat::Client deliberately cannot do: claim another
// user's name, send a request with the workshop's fields only, or hold a stream it never reads.
#ifndef CHAT_TESTS_SUPPORT_RAW_CHAT_H_
#define CHAT_TESTS_SUPPORT_RAW_CHAT_H_

#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>

#include "chat.grpc.pb.h"
#include "support/stream_reader.h"

namespace chat::testing {

class RawChat {
 public:
  // Opens a connection of its own to `address`.
  explicit RawChat(const std::string& address);

  // From now on every call presents `token` as its "chat-session" metadata; empty: none.
  void set_session(std::string token) { session_ = std::move(token); }

  grpc::Status AddUser(const std::string& name, MessageResponse* response);
  // Sends `text` with `claimed_name` in the user field.
  grpc::Status Send(const std::string& text, const std::string& claimed_name);
  grpc::Status Leave(MessageResponse* response);
  grpc::Status History(std::uint64_t before_id, std::uint32_t limit, MessageList* response);
  // The status a stream of `rpc` with `request` ends with when the server refuses it at once.
  grpc::Status RefusedListen(const ListenRequest& request, StreamRpc rpc = StreamRpc::kListen);

  // A context for one call of this client: the session's metadata, and a deadline.
  std::unique_ptr<grpc::ClientContext> NewContext() const;

  // Calls the unary `method` ("/chat.Chat/SendMessage") with `bytes` as the request, as they are:
  // for requests protobuf would refuse to build. The answer's bytes go to `response`.
  grpc::Status CallWithBytes(const std::string& method, const std::string& bytes, std::string* response);

  Chat::Stub& stub() { return *stub_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Chat::Stub> stub_;
  std::unique_ptr<grpc::GenericStub> generic_stub_;
  std::string session_;
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_RAW_CHAT_H_
