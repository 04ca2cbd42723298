#include "stalled_stream.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <grpcpp/client_context.h>

#include "chat.grpc.pb.h"
#include "client/connection.h"

namespace chat::bench {

class StalledStream::Impl {
 public:
  Impl(const std::string& address, const std::string& tls_root_certificates) {
    // HTTP/2's initial window of 64 kB, not grown: gRPC's client would otherwise take in some 4 MB it
    // never reads, and the server would queue for it only after that. With the small window, what
    // the client does not read waits at the server, whose policy for it is what is measured.
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    stub_ = Chat::NewStub(NewConnection(address, tls_root_certificates, arguments));
    reader_ = stub_->Listen(&context_, ListenRequest());
  }

  // Returns when the server has sent its initial metadata: the stream is in the room.
  void WaitForAcceptance() { reader_->WaitForInitialMetadata(); }

  bool DrainAndCheckEvicted(std::chrono::steady_clock::time_point deadline) {
    std::mutex mu;
    std::condition_variable drained;
    bool done = false;
    bool gave_up = false;
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lock(mu);
      if (!drained.wait_until(lock, deadline, [&] { return done; })) {
        gave_up = true;
        context_.TryCancel();
      }
    });
    Message message;
    while (reader_->Read(&message)) {
    }
    const grpc::Status status = reader_->Finish();
    finished_ = true;
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    drained.notify_one();
    watchdog.join();
    const bool ended_by_server = status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                                 status.error_code() == grpc::StatusCode::CANCELLED;
    return ended_by_server && !gave_up;
  }

  ~Impl() {
    if (finished_) return;
    context_.TryCancel();
    reader_->Finish();
  }

 private:
  std::unique_ptr<Chat::Stub> stub_;  // holds the channel
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<Message>> reader_;
  bool finished_ = false;
};

std::unique_ptr<StalledStream> StalledStream::Open(const std::string& address,
                                                   const std::string& tls_root_certificates) {
  auto impl = std::make_unique<Impl>(address, tls_root_certificates);
  impl->WaitForAcceptance();
  return std::unique_ptr<StalledStream>(new StalledStream(std::move(impl)));
}

StalledStream::StalledStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StalledStream::~StalledStream() = default;

bool StalledStream::DrainAndCheckEvicted(std::chrono::steady_clock::time_point deadline) {
  return impl_->DrainAndCheckEvicted(deadline);
}

}  // namespace chat::bench
