// A stream of either RPC, Listen or Subscribe, on the generated stub: for tests that run one body
// against both, and for what chat::Client hides (the batches themselves, a stream left unread).
#ifndef CHAT_TESTS_SUPPORT_STREAM_READER_H_
#define CHAT_TESTS_SUPPORT_STREAM_READER_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include "chat.grpc.pb.h"

namespace chat::testing {

enum class StreamRpc { kListen, kSubscribe };

// "Listen" or "Subscribe", for test output.
std::string NameOf(StreamRpc rpc);

class StreamReader {
 public:
  // Opens `rpc` with `request` on `stub` in `context`; both must outlive this object.
  StreamReader(Chat::Stub& stub, grpc::ClientContext* context, StreamRpc rpc, const ListenRequest& request = {});

  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  void WaitForInitialMetadata();

  // The messages of the server's next write, as it framed them: one for Listen, a batch of one or
  // more for Subscribe. False when the stream ended. Not mixed with Read().
  bool ReadWrite(std::vector<Message>* messages);
  // The next message, whatever the framing. False when the stream ended.
  bool Read(Message* message);

  // Once the stream ended (a read returned false): how.
  grpc::Status Finish();

 private:
  std::unique_ptr<grpc::ClientReader<Message>> listen_;        // for Listen
  std::unique_ptr<grpc::ClientReader<MessageBatch>> batches_;  // for Subscribe
  std::deque<Message> unread_;  // the rest of the last batch Read() took
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_STREAM_READER_H_
