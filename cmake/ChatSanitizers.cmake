# CHAT_SANITIZE applies to everything built in this tree, so that the library, the programs and the
# tests are instrumented alike. gRPC and protobuf come from Debian and stay uninstrumented.
if(CHAT_SANITIZE)
  set(_chat_sanitize_flags -fsanitize=${CHAT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${_chat_sanitize_flags})
  add_link_options(${_chat_sanitize_flags})
  message(STATUS "libchat: sanitizers ${CHAT_SANITIZE}")
endif()
