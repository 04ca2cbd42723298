// Happens-before edges that pass through gRPC, made visible to ThreadSanitizer.
//
// gRPC orders the start of an operation before the handling of its completion, and the start of a
// callback call before its reactions, by synchronization inside the library. Debian's gRPC is not
// built with ThreadSanitizer, so that ordering is invisible to it, and every object handed to gRPC
// on one thread and used by a handler on another would look raced. The two calls below state the
// ordering instead: HandOff(x) before handing x to gRPC, TakeOver(x) in the handler. They compile
// to nothing outside ThreadSanitizer builds.
#ifndef CHAT_SRC_COMMON_THREAD_ANNOTATIONS_H_
#define CHAT_SRC_COMMON_THREAD_ANNOTATIONS_H_

#if defined(__SANITIZE_THREAD__)
#define CHAT_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CHAT_THREAD_SANITIZER 1
#endif
#endif

#ifdef CHAT_THREAD_SANITIZER
extern "C" void __tsan_acquire(void* address);
extern "C" void __tsan_release(void* address);
#endif

namespace chat {

inline void HandOff([[maybe_unused]] void* object) {
#ifdef CHAT_THREAD_SANITIZER
  __tsan_release(object);
#endif
}

inline void TakeOver([[maybe_unused]] void* object) {
#ifdef CHAT_THREAD_SANITIZER
  __tsan_acquire(object);
#endif
}

}  // namespace chat

#endif  // CHAT_SRC_COMMON_THREAD_ANNOTATIONS_H_
