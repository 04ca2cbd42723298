// A Client against a server that predates Subscribe: its streams fall back to Listen, once for the
// Client, and work as they always did. The old server is a real gRPC server in the test process
// with only Listen behind it.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "chat.grpc.pb.h"
#include "support/service_server.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

// Listen as a libchat server before Subscribe served it: the replay count in the initial metadata,
// one replayed message, then whatever Publish() gives, until Close(). Subscribe is answered
// UNIMPLEMENTED, as gRPC answers a method the server does not have; it is overridden only to count
// the calls.
//
// Threading: gRPC's sync server runs each call on a thread of its own; mu_ guards published_ and
// closing_.
class ListenOnlyService final : public Chat::Service {
 public:
  grpc::Status Listen(grpc::ServerContext* context, const ListenRequest* /*request*/,
                      grpc::ServerWriter<Message>* writer) override {
    listens_.fetch_add(1);
    context->AddInitialMetadata("chat-replay-count", "1");
    writer->SendInitialMetadata();
    if (!writer->Write(Said(1, "said before the stream"))) return grpc::Status::OK;
    std::unique_lock<std::mutex> lock(mu_);
    for (std::size_t next = 0;; ++next) {
      changed_.wait(lock, [&] { return closing_ || next < published_.size(); });
      if (closing_) return grpc::Status::OK;
      const Message message = published_[next];
      lock.unlock();
      if (!writer->Write(message)) return grpc::Status::OK;  // the client has gone
      lock.lock();
    }
  }

  grpc::Status Subscribe(grpc::ServerContext* /*context*/, const ListenRequest* /*request*/,
                         grpc::ServerWriter<MessageBatch>* /*writer*/) override {
    subscribes_.fetch_add(1);
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
  }

  // Sends `text` to every Listen stream, now and to come, after the replayed message.
  void Publish(const std::string& text) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      published_.push_back(Said(published_.size() + 2, text));
    }
    changed_.notify_all();
  }

  // Ends every Listen stream, so that the server can shut down.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    changed_.notify_all();
  }

  int listens() const { return listens_.load(); }
  int subscribes() const { return subscribes_.load(); }

 private:
  static Message Said(std::uint64_t id, const std::string& text) {
    Message message;
    message.set_id(id);
    message.set_msg(text);
    message.mutable_user()->set_username("old");
    return message;
  }

  std::atomic<int> listens_{0};
  std::atomic<int> subscribes_{0};
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Message> published_;
  bool closing_ = false;
};

// The old server on a free loopback port, shut down when it goes out of scope.
class OldServer {
 public:
  ListenOnlyService& service() { return service_; }
  std::string address() const { return server_.address(); }

 private:
  ListenOnlyService service_;
  ServiceServer server_{&service_, [this] { service_.Close(); }};
};

std::string NextText(MessageStream& stream) {
  const std::optional<ChatMessage> message = stream.Next(kPatience);
  REQUIRE(message.has_value());
  return message->text;
}

TEST_CASE("a Client whose server predates Subscribe streams with Listen, and asks for Subscribe only once",
          "[client][subscribe]") {
  OldServer old;
  ClientOptions options;
  options.server_address = old.address();
  options.resume_for = std::chrono::milliseconds(0);
  Client client(options);

  Result<std::unique_ptr<MessageStream>> first = client.Listen();
  REQUIRE(first.ok());
  CHECK((*first)->replayed() == 1);
  old.service().Publish("live");
  CHECK(NextText(**first) == "said before the stream");
  CHECK(NextText(**first) == "live");

  // The Client remembers: its next stream goes to Listen straight away.
  Result<std::unique_ptr<MessageStream>> second = client.Listen();
  REQUIRE(second.ok());
  CHECK(NextText(**second) == "said before the stream");
  CHECK(NextText(**second) == "live");
  CHECK(old.service().subscribes() == 1);
  CHECK(old.service().listens() == 2);
}

}  // namespace
}  // namespace chat::testing
