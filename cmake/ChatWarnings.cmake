# chat_enable_warnings(<target>): the warning set every libchat target is built with.
function(chat_enable_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Woverloaded-virtual)
  if(CHAT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
