#include "error_text.h"

#include <optional>

#include <fmt/format.h>

namespace chat::cli {
namespace {

// Enough for any sentence the server writes; a longer message is not meant for people.
constexpr std::size_t kMaxShownBytes = 300;

// gRPC's own answer to a request larger than the server's --max-request-bytes.
constexpr std::string_view kGrpcTooLarge = "Received message larger than max";

// True for the codes whose message the chat server writes for people. gRPC itself uses these only
// for oversized messages, which DescribeError recognizes first.
bool IsServerRefusal(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kPermissionDenied:
    case StatusCode::kResourceExhausted:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
    case StatusCode::kAborted:
    case StatusCode::kUnauthenticated:
      return true;
    default:
      return false;
  }
}

// The first line of `message`, cut to a readable length.
std::string OneLine(std::string_view message) {
  message = message.substr(0, message.find_first_of("\r\n"));
  if (message.size() <= kMaxShownBytes) return std::string(message);
  return std::string(message.substr(0, kMaxShownBytes)) + "...";
}

// The chat server's own sentence, when `status` is one of its refusals and it wrote one.
std::optional<std::string> ServerReason(const Status& status) {
  if (!IsServerRefusal(status.code()) || status.message().empty()) return std::nullopt;
  return OneLine(status.message());
}

std::string TransportSentence(StatusCode code, std::string_view address) {
  switch (code) {
    case StatusCode::kUnavailable:
      return fmt::format("cannot reach server at {}", address);
    case StatusCode::kDeadlineExceeded:
      return fmt::format("the server at {} did not answer in time", address);
    case StatusCode::kCancelled:
      return "the call was cancelled";
    case StatusCode::kUnimplemented:
      return fmt::format("the server at {} does not know this call; is it a chat server?", address);
    default:
      return fmt::format("the server at {} failed ({})", address, StatusCodeName(code));
  }
}

}  // namespace

std::string DescribeError(const Status& status, std::string_view address) {
  if (status.code() == StatusCode::kResourceExhausted && status.message().starts_with(kGrpcTooLarge)) {
    return "message too long for the server";
  }
  if (const std::optional<std::string> reason = ServerReason(status)) return *reason;
  if (IsServerRefusal(status.code())) {
    return fmt::format("the server refused ({})", StatusCodeName(status.code()));
  }
  return TransportSentence(status.code(), address);
}

std::string DescribeLostConnection(const Status& reason, std::string_view address) {
  const std::string lost = fmt::format("lost the connection to {}", address);
  const std::optional<std::string> said = ServerReason(reason);
  if (!said) return lost;
  return fmt::format("{} ({})", lost, *said);
}

}  // namespace chat::cli
