// RedisConnection against a real redis-server (support/redis_process.h): order, pipelining, the
// database of the url, and what a paused, killed and restarted Redis does to commands.
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "backend/redis/redis_connection.h"
#include "support/redis_call.h"
#include "support/redis_process.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

bool IsPong(const Result<RedisValue>& reply) {
  return reply.ok() && reply->type == RedisValue::Type::kStatus && reply->text == "PONG";
}

TEST_CASE("a Redis url is redis://HOST:PORT[/DB], and anything else is refused with the reason", "[redis]") {
  const Result<RedisEndpoint> full = ParseRedisUrl("redis://10.0.0.7:6380/2");
  REQUIRE(full.ok());
  CHECK(full->host == "10.0.0.7");
  CHECK(full->port == 6380);
  CHECK(full->db == 2);
  const Result<RedisEndpoint> bare = ParseRedisUrl("redis://cache.internal");
  REQUIRE(bare.ok());
  CHECK(bare->port == 6379);
  CHECK(bare->db == 0);
  const Result<RedisEndpoint> v6 = ParseRedisUrl("redis://[::1]:7000");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 7000);

  CHECK(ParseRedisUrl("http://x:1").status() ==
        Status(StatusCode::kInvalidArgument, "http://x:1 is not redis://HOST:PORT[/DB]: it must begin with redis://"));
  CHECK(ParseRedisUrl("redis://:6379").status().message() ==
        "redis://:6379 is not redis://HOST:PORT[/DB]: the host is missing");
  CHECK(ParseRedisUrl("redis://h:70000").status().message() ==
        "redis://h:70000 is not redis://HOST:PORT[/DB]: the port is not a number from 1 to 65535");
  CHECK(ParseRedisUrl("redis://h:1/x").status().message() ==
        "redis://h:1/x is not redis://HOST:PORT[/DB]: the database is not a number");
  CHECK(ParseRedisUrl("redis://[::1:1").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("commands sent together from several threads are each answered, in the order of each thread",
          "[redis]") {
  RedisProcess redis;
  RedisConnection connection(OptionsFor(redis));
  constexpr int kThreads = 4;
  constexpr int kCommands = 500;
  std::vector<std::vector<std::int64_t>> seen(kThreads);
  std::vector<std::promise<void>> finished(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommands; ++i) {
        // INCR of the thread's own key: its n-th command answers n only if they ran in order.
        connection.Send({"INCR", "counter" + std::to_string(t)}, [&, t, i](Result<RedisValue> reply) {
          seen[t].push_back(reply.ok() ? reply->integer : -1);
          if (i == kCommands - 1) finished[t].set_value();
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(finished[t].get_future().wait_for(kPatience) == std::future_status::ready);
    std::vector<std::int64_t> expected(kCommands);
    for (int i = 0; i < kCommands; ++i) expected[i] = i + 1;
    CHECK(seen[t] == expected);
  }
}

TEST_CASE("the database the url names is the one used", "[redis]") {
  RedisProcess redis;
  RedisConnection in_two(OptionsFor(redis, 2));
  RedisConnection in_zero(OptionsFor(redis, 0));
  REQUIRE(Call(in_two, {"SET", "where", "two"}).ok());
  CHECK(Call(in_two, {"GET", "where"})->text == "two");
  CHECK(Call(in_zero, {"GET", "where"})->type == RedisValue::Type::kNil);
}

TEST_CASE("a paused Redis is answered UNAVAILABLE within the timeout, and used again once it resumes",
          "[redis]") {
  RedisProcess redis;
  RedisConnection connection(OptionsFor(redis));
  REQUIRE(IsPong(Call(connection, {"PING"})));

  redis.Pause();
  const auto sent = std::chrono::steady_clock::now();
  const Result<RedisValue> stalled = Call(connection, {"PING"});
  const auto waited = std::chrono::steady_clock::now() - sent;
  CHECK(stalled.status().code() == StatusCode::kUnavailable);
  CHECK(stalled.status().message().rfind(std::string(kStoreUnreachable), 0) == 0);
  // The reply timeout is 500 ms; twice that leaves room for a loaded machine, and still is the
  // bound the server's answers promise (docs/operations.md).
  CHECK(waited < std::chrono::seconds(1));
  CHECK(!connection.connected());

  redis.Resume();
  CHECK(Eventually([&] { return IsPong(Call(connection, {"PING"})); }));
  CHECK(connection.connected());
}

TEST_CASE("while Redis is gone commands are answered UNAVAILABLE, and it is reconnected when it is back",
          "[redis]") {
  RedisProcess redis;
  RedisConnection connection(OptionsFor(redis));
  REQUIRE(Call(connection, {"SET", "kept", "no"}).ok());

  redis.Kill();
  const Result<RedisValue> gone = Call(connection, {"PING"});
  CHECK(gone.status().code() == StatusCode::kUnavailable);
  INFO(gone.status().ToString());
  CHECK(gone.status().message().rfind(std::string(kStoreUnreachable), 0) == 0);
  // Down: answered at once, without waiting for the next attempt to connect.
  const auto sent = std::chrono::steady_clock::now();
  CHECK(Call(connection, {"PING"}).status().code() == StatusCode::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - sent < std::chrono::seconds(1));

  redis.Start();  // without its append-only file: it comes back empty
  CHECK(Eventually([&] { return IsPong(Call(connection, {"PING"})); }));
  CHECK(Call(connection, {"GET", "kept"})->type == RedisValue::Type::kNil);
}

}  // namespace
}  // namespace chat::testing

namespace chat::testing {
namespace {

// Sends PING again from each answer, at once, until one is answered PONG.
class PingUntilAnswered {
 public:
  explicit PingUntilAnswered(RedisConnection& connection) : connection_(connection) { Ping(); }

  bool answered() const { return answered_.load(); }
  // No PING after the answer to the one in flight.
  void Stop() { stopped_.store(true); }

 private:
  void Ping() {
    connection_.Send({"PING"}, [this](Result<RedisValue> reply) {
      if (IsPong(reply)) {
        answered_.store(true);
      } else if (!stopped_.load()) {
        Ping();
      }
    });
  }

  RedisConnection& connection_;
  std::atomic<bool> answered_{false};
  std::atomic<bool> stopped_{false};
};

TEST_CASE("a caller that sends again from every refusal does not keep the connection from coming back",
          "[redis]") {
  RedisProcess redis;
  RedisConnection connection(OptionsFor(redis));
  REQUIRE(IsPong(Call(connection, {"PING"})));
  redis.Kill();
  PingUntilAnswered pinging(connection);
  redis.Start();
  CHECK(Eventually([&] { return pinging.answered(); }));
  pinging.Stop();
  connection.Stop();  // before `pinging` goes: a PING may still be in flight
}

}  // namespace
}  // namespace chat::testing
