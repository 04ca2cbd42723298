#include "support/test_server.h"

#include <thread>

#include <catch2/catch.hpp>
#include "chat/logging.h"
#include <spdlog/spdlog.h>

namespace chat::testing {
namespace {

// Server logs would drown the test output; CHAT_TEST_LOG=debug (or info) brings them back, with
// gRPC's and protobuf's own lines at debug.
const bool kLogLevelSet = [] {
  const char* level = std::getenv("CHAT_TEST_LOG");
  spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::warn);
  RouteGrpcLogsToSpdlog();
  return true;
}();

}  // namespace

ServerOptions LoopbackOptions() {
  ServerOptions options;
  options.address = "127.0.0.1:0";
  options.threads = 2;
  // Tests send in bursts, and every client of a test comes from 127.0.0.1: flood control and the
  // limits per source address are off or wide here. The tests of those limits set them back.
  options.max_rate = 0;
  options.max_address_rate = 0;
  options.max_registration_rate = 0;
  options.max_names_per_address = options.max_users;
  options.max_streams_per_address = options.max_streams;
  options.max_connections_per_address = options.max_connections;
  options.max_reset_rate = 0;  // a test that ends with many streams open cancels them all at once
  return options;
}

TestServer::TestServer(ServerOptions options) {
  auto started = Server::Start(options);
  REQUIRE(started.status().ToString() == "OK");
  server_ = std::move(started).value();
}

TestServer::TestServer(std::unique_ptr<Server> started) : server_(std::move(started)) {}

TestServer::~TestServer() { server_->Shutdown(std::chrono::milliseconds(200)); }

std::string TestServer::address() const { return "127.0.0.1:" + std::to_string(server_->port()); }

std::unique_ptr<Client> TestServer::NewClient() const {
  ClientOptions options;
  options.server_address = address();
  // Streams end as the server ends them, rather than resuming: the server's tests look at that end.
  // The tests of resuming set resume_for themselves.
  options.resume_for = std::chrono::milliseconds(0);
  return std::make_unique<Client>(options);
}

TestUser::TestUser(const TestServer& server, std::string name) : name_(std::move(name)), client_(server.NewClient()) {
  const Result<Registration> registration = client_->AddUser(name_);
  REQUIRE(registration.status().ToString() == "OK");
  REQUIRE(registration->code == RegistrationCode::kAdded);
  Result<std::unique_ptr<MessageStream>> stream = client_->Listen();
  REQUIRE(stream.status().ToString() == "OK");
  stream_ = std::move(stream).value();
}

std::uint64_t TestUser::Say(const std::string& text) {
  const Result<std::uint64_t> id = client_->Send(text);
  REQUIRE(id.status().ToString() == "OK");
  return *id;
}

std::optional<ChatMessage> TestUser::WaitFor(const std::function<bool(const ChatMessage&)>& match,
                                             std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline && !stream_->ended()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    std::optional<ChatMessage> message = stream_->Next(std::max(left, std::chrono::milliseconds(1)));
    if (message && match(*message)) return message;
  }
  return std::nullopt;
}

std::vector<ChatMessage> TestUser::ReadThrough(std::uint64_t id) {
  std::vector<ChatMessage> taken;
  const std::optional<ChatMessage> last = WaitFor([&](const ChatMessage& message) {
    taken.push_back(message);
    return message.id == id;
  });
  INFO(name_ << " waited for message " << id);
  REQUIRE(last.has_value());
  return taken;
}

void TestUser::Leave() {
  client_->Leave();
  stream_.reset();
  client_.reset();
}

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool IsRegistered(Client& client, const std::string& name) {
  const Result<std::vector<std::string>> users = client.ListUsers();
  REQUIRE(users.ok());
  return std::find(users->begin(), users->end(), name) != users->end();
}

std::function<bool(const ChatMessage&)> HasId(std::uint64_t id) {
  return [id](const ChatMessage& message) { return message.id == id; };
}

std::function<bool(const ChatMessage&)> HasText(const std::string& text) {
  return [text](const ChatMessage& message) { return message.text == text; };
}

std::function<bool(const ChatMessage&)> IsLeaveOf(const std::string& name) {
  return [name](const ChatMessage& message) { return message.kind == MessageKind::kLeave && message.from == name; };
}

}  // namespace chat::testing
