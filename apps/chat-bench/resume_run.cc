#include "resume_run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include <fmt/format.h>
#include <grpcpp/client_context.h>

#include "bench_server.h"
#include "chat.grpc.pb.h"
#include "chat/client.h"
#include "chat/process.h"
#include "client/connection.h"
#include "stamp.h"
#include "wire/wire.h"

namespace chat::bench {
namespace {

constexpr std::chrono::seconds kCallPatience(20);

// A subscriber on the generated stub, so that what is timed is the server's replay and the wire,
// not the library's handlers: registers once, then resumes on the same connection each round.
class Resumer {
 public:
  Resumer(const std::string& address, const std::string& tls_root_certificates)
      : stub_(Chat::NewStub(NewConnection(address, tls_root_certificates))) {}

  Status Register(const std::string& name) {
    User user;
    user.set_username(name);
    MessageResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallPatience);
    const grpc::Status status = stub_->AddUser(&context, user, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    if (response.code() != MessageResponse::ADDED) {
      return Status(StatusCode::kAlreadyExists, "cannot register the resuming subscriber: " + response.msg());
    }
    token_ = response.session();
    return Status::Ok();
  }

  // Resumes after `after_id`, reads `count` messages, checks they are after_id+1.. in order, and
  // returns how long it took from the call to the last of them.
  Result<double> Resume(std::uint64_t after_id, int count) {
    grpc::ClientContext context;
    context.AddMetadata("chat-session", token_);
    context.set_deadline(std::chrono::system_clock::now() + kCallPatience);
    ListenRequest request;
    request.set_after_id(after_id);
    const auto started = std::chrono::steady_clock::now();
    const auto reader = stub_->Listen(&context, request);
    Message message;
    for (int i = 1; i <= count; ++i) {
      if (!reader->Read(&message)) return FromGrpcStatus(reader->Finish());
      if (message.id() != after_id + static_cast<std::uint64_t>(i)) {
        return Status(StatusCode::kInternal, fmt::format("replay {} of {} has id {}, not {}", i, count, message.id(),
                                                         after_id + static_cast<std::uint64_t>(i)));
      }
    }
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;
    context.TryCancel();
    reader->Finish();
    return took.count();
  }

 private:
  std::unique_ptr<Chat::Stub> stub_;
  std::string token_;
};

double Percentile(std::vector<double> sorted, double fraction) {
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

Result<ResumeResult> RunResumeBench(const BenchOptions& options, const ResumeOptions& resume) {
  Result<std::unique_ptr<BenchServer>> server = BenchServer::Open(options);
  if (!server.ok()) return server.status();
  ResumeResult result;
  result.options = options;
  result.resume = resume;
  result.server_kind = (*server)->kind();

  Resumer resumer((*server)->address(), options.tls_root_certificates);
  if (Status registered = resumer.Register(fmt::format("bench-{}-resumer", getpid())); !registered.ok()) {
    return registered;
  }
  ClientOptions connection;
  connection.server_address = (*server)->address();
  connection.tls_root_certificates = options.tls_root_certificates;
  Client sender(connection);
  const Result<Registration> registration = sender.AddUser(fmt::format("bench-{}-writer", getpid()));
  if (!registration.ok()) return registration.status();
  if (registration->code != RegistrationCode::kAdded) {
    return Status(StatusCode::kAlreadyExists, "cannot register the sender: " + registration->message);
  }

  const std::optional<ServerSample> before = (*server)->Sample();
  std::uint64_t last_id = 0;
  for (int i = 0; i < resume.kept; ++i) {
    const Result<std::uint64_t> id = sender.Send(StampedText(NowNanos(), options.size));
    if (!id.ok()) return id.status();
    last_id = *id;
  }
  const std::optional<ServerSample> after = (*server)->Sample();
  if (before && after) {
    result.server_source = (*server)->SampleSource();
    result.rss_before_kb = before->rss_kb;
    result.rss_after_kb = after->rss_kb;
    result.kb_per_10000_kept = (static_cast<double>(after->rss_kb) - static_cast<double>(before->rss_kb)) * 10000.0 /
                               static_cast<double>(std::max(resume.kept, 1));
  }

  std::vector<double> took;
  for (int round = 0; round < resume.rounds; ++round) {
    const Result<double> ms = resumer.Resume(last_id - static_cast<std::uint64_t>(resume.replayed), resume.replayed);
    if (!ms.ok()) return ms.status();
    took.push_back(*ms);
  }
  std::sort(took.begin(), took.end());
  if (!took.empty()) {
    result.replay_ms_min = took.front();
    result.replay_ms_p50 = Percentile(took, 0.5);
    result.replay_ms_p90 = Percentile(took, 0.9);
    result.replay_ms_max = took.back();
  }
  return result;
}

}  // namespace chat::bench
