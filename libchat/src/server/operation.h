// Completion-queue tags.
//
// Every operation a call object starts on a completion queue (request, write, finish, done
// notification, alarm) passes one of its Operations as the tag. The queue's thread turns the tag
// back into the Operation and calls Complete(ok); ok == false means the operation failed (the call
// was cancelled or the server is shutting down) and the owner must clean up, never assert.
#ifndef CHAT_SRC_SERVER_OPERATION_H_
#define CHAT_SRC_SERVER_OPERATION_H_

#include "common/thread_annotations.h"

namespace chat {

class Operation {
 public:
  virtual void Complete(bool ok) = 0;

  // The tag to start an operation with.
  void* tag() {
    HandOff(this);
    return this;
  }

  // Turns a tag from CompletionQueue::Next() back into the Operation that was passed.
  static Operation* FromTag(void* tag) {
    TakeOver(tag);
    return static_cast<Operation*>(tag);
  }

 protected:
  ~Operation() = default;  // owned by the call object, never deleted through this interface
};

// An Operation that calls one member function of its owner.
template <class Owner>
class BoundOperation final : public Operation {
 public:
  using Handler = void (Owner::*)(bool ok);

  BoundOperation(Owner* owner, Handler handler) : owner_(owner), handler_(handler) {}

  void Complete(bool ok) override { (owner_->*handler_)(ok); }

 private:
  Owner* const owner_;
  const Handler handler_;
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_OPERATION_H_
