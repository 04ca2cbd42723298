// Lets Catch print a chat::Status in a failed check, "UNAVAILABLE: the server is shutting down",
// where it would otherwise print "{?}" and leave the reader to guess which status came.
#ifndef CHAT_TESTS_SUPPORT_STATUS_PRINTER_H_
#define CHAT_TESTS_SUPPORT_STATUS_PRINTER_H_

#include <string>

#include <catch2/catch.hpp>

#include "chat/status.h"

namespace Catch {

template <>
struct StringMaker<chat::Status> {
  static std::string convert(const chat::Status& status) { return status.ToString(); }
};

}  // namespace Catch

#endif  // CHAT_TESTS_SUPPORT_STATUS_PRINTER_H_
