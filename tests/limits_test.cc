// The limits of a real server: what one source address may send, register and hold open, what a
// stream that falls behind costs, and what the server refuses to unpack. Every test client comes
// from 127.0.0.1, so the whole test process is one address.
//
// Each test names in one line what the server before these limits did, and so why it fails there.
#include <algorithm>
#include <chrono>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <grpcpp/client_context.h>

#include "support/flood.h"
#include "support/raw_chat.h"
#include "support/stream_reader.h"
#include "support/slow_listener.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

using std::chrono::steady_clock;

// The defaults, flood control and the limits per source address included, on a free loopback port.
ServerOptions DefaultLimits() {
  ServerOptions options;
  options.address = "127.0.0.1:0";
  options.threads = 2;
  return options;
}

// "CODE: message", or "OK".
std::string Answer(const grpc::Status& status) {
  const Status answer(static_cast<StatusCode>(status.error_code()), status.error_message());
  return answer.ok() ? "OK" : fmt::format("{}: {}", StatusCodeName(answer.code()), answer.message());
}

double SecondsSince(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

// A stream (Listen unless told) opened on `chat`'s connection, read or not as the test pleases.
struct OpenStream {
  explicit OpenStream(RawChat& chat, StreamRpc rpc = StreamRpc::kListen)
      : reader(std::make_unique<StreamReader>(chat.stub(), &context, rpc)) {}

  grpc::ClientContext context;
  std::unique_ptr<StreamReader> reader;
};

// The answer to a stream (Listen unless told) on `chat` that the server must refuse at once. (Should
// it accept it, the stream ends after kPatience with DEADLINE_EXCEEDED, and the answer says so.)
std::string StreamRefusal(RawChat& chat, StreamRpc rpc = StreamRpc::kListen) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kPatience);
  StreamReader stream(chat.stub(), &context, rpc);
  Message message;
  if (stream.Read(&message)) return "a message: " + message.msg();
  return Answer(stream.Finish());
}

TEST_CASE("with half of all streams never reading, readers keep every send accepted and get every message",
          "[server][limits]") {
  // The old gate counted every queue: it closed above max(8 streams * 1024 / 4, 2 * 1024) = 2048 queued, which the
  // four stalled queues reached at some 512 messages each, so sends were refused as busy from then until they were
  // evicted at 1024. Now a stream whose write has not come back for a second counts nothing (busy_gate.h).
  TestServer server;  // max_queued_messages 1024
  std::vector<std::unique_ptr<TestUser>> readers;
  for (int i = 0; i < 4; ++i) readers.push_back(std::make_unique<TestUser>(server, "reader" + std::to_string(i)));
  std::vector<std::unique_ptr<SmallWindowStalledListener>> stalled;
  for (const char* name : {"stalled0", "stalled1", "", ""}) {
    stalled.push_back(std::make_unique<SmallWindowStalledListener>(server, name));
  }
  REQUIRE(server.server().stats().subscribers == 8);

  // 250 big messages a second on a steady-clock schedule (pacing, not waiting for a condition): the stalled streams'
  // transport windows fill at once, then their queues grow by one a message until they overflow after some four
  // seconds. Readers catch up every 16 messages; the latency of each message is taken when its reader has it.
  const std::string filler(3000, 'x');
  std::vector<std::uint64_t> sent;
  std::vector<steady_clock::time_point> sent_at;
  std::vector<std::vector<std::uint64_t>> seen(readers.size());
  std::chrono::duration<double> slowest{0};
  const auto catch_up = [&] {
    for (std::size_t i = 0; i < readers.size(); ++i) {
      const std::vector<std::uint64_t> ids = ChatIds(readers[i]->ReadThrough(sent.back()));
      const auto now = steady_clock::now();
      for (std::size_t k = seen[i].size(); k < seen[i].size() + ids.size(); ++k) {
        slowest = std::max<std::chrono::duration<double>>(slowest, now - sent_at[k]);
      }
      seen[i].insert(seen[i].end(), ids.begin(), ids.end());
    }
  };
  auto next = steady_clock::now();
  const auto deadline = next + kPatience;
  while (server.server().stats().evictions < 4) {
    REQUIRE(steady_clock::now() < deadline);
    sent_at.push_back(steady_clock::now());
    sent.push_back(readers[sent.size() % readers.size()]->Say(filler + " " + std::to_string(sent.size())));  // OK or fail
    if (sent.size() % 16 == 0) catch_up();
    next += std::chrono::milliseconds(4);
    std::this_thread::sleep_until(next);
  }
  catch_up();
  for (std::size_t i = 0; i < readers.size(); ++i) {
    INFO(readers[i]->name());
    CHECK(seen[i] == sent);
  }
  INFO("sent " << sent.size() << ", the slowest took " << slowest.count() << " s to reach its reader");
  CHECK(sent.size() > 1000);  // the stalled queues held far more than the old gate allowed
  CHECK(slowest < std::chrono::seconds(2));
  CHECK(*readers[0]->client().ListUsers() == std::vector<std::string>{"reader0", "reader1", "reader2", "reader3"});
}

TEST_CASE("a stream that lags longer than max_stream_lag is evicted though its queue never fills",
          "[server][limits][subscribe]") {
  // The old server evicted only on a full queue: 100000 messages, which 10 a second never reach within kPatience.
  const StreamRpc rpc = GENERATE(StreamRpc::kListen, StreamRpc::kSubscribe);
  INFO("the stalled stream is a " << NameOf(rpc));
  ServerOptions options = LoopbackOptions();
  options.max_queued_messages = 100000;
  options.max_stream_lag = std::chrono::seconds(1);
  TestServer server(options);
  TestUser alice(server, "alice");
  SmallWindowStalledListener stalled(server, "stalled", rpc);

  // One message every 100 ms on a steady-clock schedule (pacing, not waiting for a condition); big, so that the
  // stalled stream's transport window fills within a few seconds and its queue starts to age.
  const std::string filler(3000, 'x');
  std::optional<ChatMessage> leave;
  int sent = 0;
  auto next = steady_clock::now();
  const auto deadline = next + kPatience;
  while (!leave) {
    REQUIRE(steady_clock::now() < deadline);
    const std::vector<ChatMessage> taken = alice.ReadThrough(alice.Say(filler + " " + std::to_string(sent++)));
    const auto found = std::find_if(taken.begin(), taken.end(), IsLeaveOf("stalled"));
    if (found != taken.end()) leave = *found;
    next += std::chrono::milliseconds(100);
    std::this_thread::sleep_until(next);
  }
  CHECK(leave->text == "stalled left (too slow)");
  CHECK(sent < 1000);
  CHECK(server.server().stats().evictions == 1);
}

TEST_CASE("one address sends at most twice its rate into the room, whatever it cycles", "[server][limits]") {
  // The old server held each connection to its own bucket only: every round's 20 messages were accepted.
  TestServer server(DefaultLimits());
  int accepted = 0;
  int names = 0;
  std::optional<std::string> name_refusal;
  int names_before_refusal = 0;
  double seconds_before_refusal = 0;
  double seconds_sending = 0;
  const auto start = steady_clock::now();
  auto next_round = start;
  for (int round = 0; round < 30; ++round) {
    // One round every 66 ms on a steady-clock schedule (a pace, not a wait for a condition): some 2 s in all.
    std::this_thread::sleep_until(next_round);
    next_round += std::chrono::milliseconds(66);
    RawChat chat(server.address());  // a new connection, with a bucket of its own
    MessageResponse response;
    const grpc::Status added = chat.AddUser("cycle" + std::to_string(round), &response);
    if (added.ok()) {
      REQUIRE(response.code() == MessageResponse::ADDED);
      ++names;
    } else if (!name_refusal) {
      name_refusal = Answer(added);
      names_before_refusal = names;
      seconds_before_refusal = SecondsSince(start);
    }
    for (int i = 0; i < 20; ++i) accepted += chat.Send(fmt::format("round {} message {}", round, i), "").ok() ? 1 : 0;
    seconds_sending = SecondsSince(start);
    // A stream opened and closed frees the name, so that names held never count against the round.
    OpenStream stream(chat);
    stream.reader->WaitForInitialMetadata();
    stream.context.TryCancel();
    stream.reader->Finish();
  }
  INFO("accepted " << accepted << " in " << seconds_sending << " s; " << names << " names");
  CHECK(accepted <= 40 + 20 * seconds_sending + 1);
  REQUIRE(name_refusal.has_value());
  CHECK(*name_refusal == "RESOURCE_EXHAUSTED: taking names too fast from your address (at most 1 per second, bursts "
                         "of 10)");
  CHECK(names_before_refusal >= 10);
  CHECK(names_before_refusal <= 10 + seconds_before_refusal + 1);
}

TEST_CASE("a user who reads 200 messages/s is not evicted by direct messages from one address", "[server][limits]") {
  // The old server gave every new connection a full bucket: direct messages got through by the thousand and evicted
  // the victim.
  TestServer server(DefaultLimits());
  PacedListener victim(server, "victim", 200);

  // Two attackers, each cycling connections and names, sending "@victim" as fast as the server accepts it. A
  // connection is dropped once its own bucket is empty; a refusal for the address, or of a name, is retried 5 ms
  // later (a pace, so that the attackers do not starve the machine).
  std::mutex mu;
  std::vector<std::uint64_t> accepted;  // guarded by mu
  const auto start = steady_clock::now();
  const auto stop = start + std::chrono::seconds(3);
  const auto attack = [&](int attacker) {
    for (int cycle = 0; steady_clock::now() < stop; ++cycle) {
      RawChat chat(server.address());
      MessageResponse response;
      if (!chat.AddUser(fmt::format("attacker{}_{}", attacker, cycle), &response).ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      for (int n = 0; steady_clock::now() < stop; ++n) {
        grpc::ClientContext context;
        Message direct;
        direct.set_msg(fmt::format("@victim {} says {}", attacker, n));
        const grpc::Status sent = chat.stub().SendMessage(&context, direct, &response);
        if (sent.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          accepted.push_back(response.id());
          continue;
        }
        if (sent.error_message().rfind("sending too fast from your address", 0) != 0) break;  // the connection is spent
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  };
  std::thread attacker0(attack, 0), attacker1(attack, 1);
  attacker0.join();
  attacker1.join();
  const double seconds = SecondsSince(start);

  CHECK_FALSE(victim.Ended().has_value());
  CHECK(IsRegistered(*server.NewClient(), "victim"));
  INFO("accepted " << accepted.size() << " in " << seconds << " s");
  CHECK(accepted.size() <= 40 + 20 * seconds + 1);
  const std::set<std::uint64_t> expected(accepted.begin(), accepted.end());
  std::set<std::uint64_t> received;
  CHECK(Eventually([&] {
    received.clear();
    for (const Message& message : victim.Read()) {
      if (message.kind() == Message::DIRECT) received.insert(message.id());
    }
    return received.size() >= expected.size() || victim.Ended().has_value();
  }));
  std::vector<std::uint64_t> missing;
  std::set_difference(expected.begin(), expected.end(), received.begin(), received.end(), std::back_inserter(missing));
  INFO(missing.size() << " of " << expected.size() << " accepted direct messages not received");
  CHECK(missing.empty());
  CHECK(received.size() == expected.size());
}

TEST_CASE("Listen beyond the per-connection, per-address and total caps is refused with RESOURCE_EXHAUSTED",
          "[server][limits]") {
  // The old server had no caps: it accepted the 17th stream of a connection, the 65th of an address, and the 4th of
  // a server of 3.
  std::vector<std::unique_ptr<RawChat>> connections;
  std::vector<std::unique_ptr<OpenStream>> streams;
  // Opens a stream that `server` accepts; returns how many the room holds then. The server subscribes a stream
  // before it sends the initial metadata, so the count already includes it.
  const auto open = [&](TestServer& server, RawChat& chat) {
    streams.push_back(std::make_unique<OpenStream>(chat));
    streams.back()->reader->WaitForInitialMetadata();
    return server.server().stats().subscribers;
  };

  SECTION("per connection and per address") {
    TestServer server(DefaultLimits());
    for (std::size_t n = 1; n <= 64; ++n) {
      if (n % 16 == 1) connections.push_back(std::make_unique<RawChat>(server.address()));
      REQUIRE(open(server, *connections.back()) == n);
      if (n == 16) {
        CHECK(StreamRefusal(*connections.back()) ==
              "RESOURCE_EXHAUSTED: this connection has 16 streams open, the most it may");
      }
    }
    RawChat fifth(server.address());
    CHECK(StreamRefusal(fifth) == "RESOURCE_EXHAUSTED: your address has 64 streams open, the most it may");

    // Closing one lets one more in, on the connection that was full.
    streams.front()->context.TryCancel();
    REQUIRE(Eventually([&] { return server.server().stats().subscribers == 63; }));
    CHECK(open(server, *connections.front()) == 64);
  }

  SECTION("in total") {
    ServerOptions options = DefaultLimits();
    options.max_streams = 3;  // the caps per connection (16) and per address (64) stay above it
    TestServer server(options);
    connections.push_back(std::make_unique<RawChat>(server.address()));
    for (std::size_t n = 1; n <= 3; ++n) REQUIRE(open(server, *connections.back()) == n);
    CHECK(StreamRefusal(*connections.back()) ==
          "RESOURCE_EXHAUSTED: the server has 3 streams open, the most it may; try again later");

    streams.front()->context.TryCancel();
    REQUIRE(Eventually([&] { return server.server().stats().subscribers == 2; }));
    CHECK(open(server, *connections.back()) == 3);
  }
}

TEST_CASE("Listen and Subscribe streams count together against the per-connection and per-address caps",
          "[server][limits][subscribe]") {
  // A Subscribe counted apart from Listen would let a connection hold 32 streams and an address 128.
  TestServer server(DefaultLimits());
  std::vector<std::unique_ptr<RawChat>> connections;
  std::vector<std::unique_ptr<OpenStream>> streams;
  for (std::size_t n = 1; n <= 64; ++n) {
    if (n % 16 == 1) connections.push_back(std::make_unique<RawChat>(server.address()));
    streams.push_back(
        std::make_unique<OpenStream>(*connections.back(), n % 2 == 0 ? StreamRpc::kSubscribe : StreamRpc::kListen));
    streams.back()->reader->WaitForInitialMetadata();
    REQUIRE(server.server().stats().subscribers == n);
    if (n == 16) {
      for (StreamRpc rpc : {StreamRpc::kSubscribe, StreamRpc::kListen}) {
        INFO("the 17th stream of a connection is a " << NameOf(rpc));
        CHECK(StreamRefusal(*connections.back(), rpc) ==
              "RESOURCE_EXHAUSTED: this connection has 16 streams open, the most it may");
      }
    }
  }
  RawChat fifth(server.address());
  CHECK(StreamRefusal(fifth, StreamRpc::kSubscribe) ==
        "RESOURCE_EXHAUSTED: your address has 64 streams open, the most it may");

  // Closing a Subscribe lets a Listen in, on the connection that was full.
  streams[1]->context.TryCancel();
  REQUIRE(Eventually([&] { return server.server().stats().subscribers == 63; }));
  OpenStream another(*connections.front(), StreamRpc::kListen);
  another.reader->WaitForInitialMetadata();
  CHECK(server.server().stats().subscribers == 64);
}

TEST_CASE("a compressed request is refused and nothing is inflated", "[server][limits]") {
  // The old server inflated it: 10 MB got past the 64 kB request cap, to be refused by the chat's own checks.
  TestServer server(DefaultLimits());
  RawChat chat(server.address());
  MessageResponse response;
  REQUIRE(chat.AddUser("zipper", &response).ok());

  const std::string ten_megabytes(10 * 1024 * 1024, 'x');  // gzip makes some 10 kB of it
  const std::string refused = "UNIMPLEMENTED: Compression algorithm 'gzip' is disabled.";
  {
    grpc::ClientContext context;
    context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    Message message;
    message.set_msg(ten_megabytes);
    CHECK(Answer(chat.stub().SendMessage(&context, message, &response)) == refused);
  }
  {
    grpc::ClientContext context;
    context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    User user;
    user.set_username(ten_megabytes);
    CHECK(Answer(chat.stub().AddUser(&context, user, &response)) == refused);
  }

  CHECK(Answer(chat.Send("still serving", "")) == "OK");
  CHECK(server.server().stats().messages == 1);
}

TEST_CASE("Server::Start refuses a unix-domain address", "[server][limits]") {
  // The old server started on it, where every client is the same peer and so could speak as any other.
  ServerOptions options = LoopbackOptions();
  options.address = "unix:/tmp/libchat-limits-test.sock";
  Result<std::unique_ptr<Server>> started = Server::Start(options);
  if (started.ok()) (*started)->Shutdown();
  CHECK(started.status() == Status(StatusCode::kInvalidArgument,
                                   "unix-domain addresses are not supported: every client would be the same peer, so "
                                   "anyone could speak as anyone; listen on a TCP address"));
}

}  // namespace
}  // namespace chat::testing
