// FUZZ_CHECK(condition): the fuzzers' assertion, active in every build type. A broken promise
// prints the condition and aborts, which libFuzzer reports as a crash with the input that did it.
#ifndef CHAT_TESTS_FUZZ_FUZZ_CHECK_H_
#define CHAT_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                            \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)

#endif  // CHAT_TESTS_FUZZ_FUZZ_CHECK_H_
