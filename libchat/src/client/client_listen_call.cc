#include "client/client_listen_call.h"

#include <charconv>
#include <utility>

#include <grpcpp/impl/codegen/proto_utils.h>

#include "client/client_core.h"
#include "common/thread_annotations.h"
#include "wire/wire.h"

namespace chat {
namespace {

const char* MethodOf(ClientListenCall::Rpc rpc) {
  return rpc == ClientListenCall::Rpc::kSubscribe ? "/chat.Chat/Subscribe" : "/chat.Chat/Listen";
}

// Parses a response as the generated stub would have.
template <class Response>
bool Parse(grpc::ByteBuffer* bytes, Response* into) {
  return grpc::SerializationTraits<Response>::Deserialize(bytes, into).ok();
}

}  // namespace

ClientListenCall::ClientListenCall(Rpc rpc, ListenRequest request, Handlers handlers)
    : rpc_(rpc), request_(Serialize(request)), handlers_(std::move(handlers)) {}

Status ClientListenCall::Start(grpc::GenericStub* stub, const std::string& session,
                               std::chrono::milliseconds timeout) {
  if (!session.empty()) context_.AddMetadata(ClientCore::kSessionMetadata, session);
  {
    std::lock_guard<std::mutex> lock(mu_);
    holding_ = true;
  }
  HandOff(this);
  stub->PrepareBidiStreamingCall(&context_, MethodOf(rpc_), grpc::StubOptions(), this);
  StartWriteLast(&request_, grpc::WriteOptions());
  AddHold();
  StartCall();

  std::unique_lock<std::mutex> lock(mu_);
  if (!phase_changed_.wait_for(lock, timeout, [this] { return phase_ != Phase::kStarting; })) {
    lock.unlock();
    Stop();
    return Status(StatusCode::kDeadlineExceeded, "the server did not accept the stream in time");
  }
  if (phase_ == Phase::kAccepted) return Status::Ok();
  // Refused: the hold is all that keeps OnDone, and the status it brings, from coming.
  lock.unlock();
  Stop();
  lock.lock();
  if (end_status_.ok()) return Status(StatusCode::kUnknown, "the server ended the stream at once");
  return end_status_;
}

void ClientListenCall::Open() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ != Phase::kAccepted || stopping_) return;
    phase_ = Phase::kOpen;
    holding_ = false;  // this removes the hold, whatever Stop() does meanwhile
  }
  HandOff(this);
  StartRead(&incoming_);
  RemoveHold();  // after StartRead, so that the call cannot finish between the two
}

void ClientListenCall::Cancel() { context_.TryCancel(); }

void ClientListenCall::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (phase_ == Phase::kEnded) return;
  }
  context_.TryCancel();
  Release();
  std::unique_lock<std::mutex> lock(mu_);
  phase_changed_.wait(lock, [this] { return phase_ == Phase::kEnded; });
}

// The server sends its initial metadata once it has subscribed the stream to the room; a refusal
// comes as trailers only, and then ok is false.
void ClientListenCall::OnReadInitialMetadataDone(bool ok) {
  TakeOver(this);
  if (ok) replayed_ = ReadReplayCount();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ != Phase::kStarting) return;
    phase_ = ok ? Phase::kAccepted : Phase::kRefused;
  }
  phase_changed_.notify_all();
}

void ClientListenCall::OnReadDone(bool ok) {
  TakeOver(this);
  if (!ok) return;  // the stream ended; OnDone follows
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;  // the owner is cancelling; OnDone follows
  }
  if (!HandOn()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      unreadable_ = true;
    }
    context_.TryCancel();  // OnDone follows, and tells why
    return;
  }
  HandOff(this);
  StartRead(&incoming_);
}

// The request's write needs nothing more: a failed one ends the call, and OnDone follows.
void ClientListenCall::OnWriteDone(bool /*ok*/) { TakeOver(this); }

bool ClientListenCall::HandOn() {
  if (rpc_ == Rpc::kListen) {
    Message message;
    if (!Parse(&incoming_, &message)) return false;
    handlers_.message(message);
    return true;
  }
  MessageBatch batch;
  if (!Parse(&incoming_, &batch)) return false;
  for (const Message& message : batch.messages()) handlers_.message(message);
  return true;
}

void ClientListenCall::OnDone(const grpc::Status& status) {
  TakeOver(this);
  bool ended_by_itself = false;
  Status ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_by_itself = phase_ == Phase::kOpen && !stopping_;
    // Cancelled by us for a message that did not parse: say so, not CANCELLED.
    ended = unreadable_ ? Status(StatusCode::kInternal, "the server sent a message that does not parse")
                        : FromGrpcStatus(status);
  }
  if (ended_by_itself) handlers_.ended(ended);

  // The last act: once mu_ is released the owner may free this object, so notify under the lock.
  std::lock_guard<std::mutex> lock(mu_);
  end_status_ = ended;
  phase_ = Phase::kEnded;
  phase_changed_.notify_all();
}

void ClientListenCall::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!holding_) return;
    holding_ = false;
  }
  RemoveHold();  // outside mu_: it may end the call, and OnDone takes mu_
}

// A server that predates the metadata sends none: it replays nothing.
std::size_t ClientListenCall::ReadReplayCount() const {
  const auto& metadata = context_.GetServerInitialMetadata();
  const auto found = metadata.find(kReplayCountMetadata);
  if (found == metadata.end()) return 0;
  std::size_t count = 0;
  const grpc::string_ref text = found->second;
  std::from_chars(text.data(), text.data() + text.size(), count);
  return count;
}

}  // namespace chat
