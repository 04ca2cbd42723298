// DescribeError: one readable line for every failure, never gRPC's own diagnostics.
#include <catch2/catch.hpp>

#include "error_text.h"

namespace chat::cli {
namespace {

constexpr char kAddress[] = "chat.example:50051";

TEST_CASE("the server's refusals are shown in its own words", "[error]") {
  CHECK(DescribeError(Status(StatusCode::kNotFound, "no such user: bob"), kAddress) == "no such user: bob");
  CHECK(DescribeError(Status(StatusCode::kInvalidArgument, "message too long (max 4096 bytes)"), kAddress) ==
        "message too long (max 4096 bytes)");
  CHECK(DescribeError(Status(StatusCode::kResourceExhausted, "sending too fast; wait a moment"), kAddress) ==
        "sending too fast; wait a moment");
  CHECK(DescribeError(Status(StatusCode::kPermissionDenied, "you are alice and cannot send as another user"),
                      kAddress) == "you are alice and cannot send as another user");
}

TEST_CASE("transport failures become a fixed sentence naming the server", "[error]") {
  const Status unreachable(StatusCode::kUnavailable,
                           "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: "
                           "Failed to connect to remote host: Connection refused");
  CHECK(DescribeError(unreachable, kAddress) == "cannot reach server at chat.example:50051");
  CHECK(DescribeError(Status(StatusCode::kDeadlineExceeded, "Deadline Exceeded"), kAddress) ==
        "the server at chat.example:50051 did not answer in time");
  CHECK(DescribeError(Status(StatusCode::kInternal, "Stream removed"), kAddress) ==
        "the server at chat.example:50051 failed (INTERNAL)");
  CHECK(DescribeError(Status(StatusCode::kUnimplemented, ""), kAddress) ==
        "the server at chat.example:50051 does not know this call; is it a chat server?");
}

TEST_CASE("a request over gRPC's size limit is called too long", "[error]") {
  const Status too_large(StatusCode::kResourceExhausted, "Received message larger than max (70000 vs. 65536)");
  CHECK(DescribeError(too_large, kAddress) == "message too long for the server");
}

TEST_CASE("a refusal without words still says something", "[error]") {
  CHECK(DescribeError(Status(StatusCode::kNotFound, ""), kAddress) == "the server refused (NOT_FOUND)");
}

TEST_CASE("a message of several lines is cut to its first, and a long one shortened", "[error]") {
  CHECK(DescribeError(Status(StatusCode::kInvalidArgument, "first\nsecond"), kAddress) == "first");
  const std::string shown = DescribeError(Status(StatusCode::kInvalidArgument, std::string(1000, 'x')), kAddress);
  CHECK(shown.size() < 400);
  CHECK_THAT(shown, Catch::EndsWith("..."));
}

TEST_CASE("a lost connection names the server, and the server's reason when it gave one", "[error]") {
  CHECK(DescribeLostConnection(Status(StatusCode::kUnavailable, "Socket closed"), kAddress) ==
        "lost the connection to chat.example:50051");
  CHECK(DescribeLostConnection(Status(StatusCode::kResourceExhausted, "too slow: the stream fell too far behind"),
                               kAddress) ==
        "lost the connection to chat.example:50051 (too slow: the stream fell too far behind)");
}

}  // namespace
}  // namespace chat::cli
