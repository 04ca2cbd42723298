#include "support/redis_call.h"

#include <future>
#include <utility>

#include <catch2/catch.hpp>

#include "support/test_server.h"

namespace chat::testing {

RedisConnectionOptions OptionsFor(const RedisProcess& redis, int db) {
  RedisConnectionOptions options;
  options.endpoint = RedisEndpoint{"127.0.0.1", redis.port(), db};
  return options;
}

Result<RedisValue> Call(RedisConnection& connection, std::vector<std::string> argv) {
  std::promise<Result<RedisValue>> answer;
  auto answered = answer.get_future();
  connection.Send(std::move(argv), [&answer](Result<RedisValue> value) { answer.set_value(std::move(value)); });
  REQUIRE(answered.wait_for(kPatience) == std::future_status::ready);
  return answered.get();
}

}  // namespace chat::testing
