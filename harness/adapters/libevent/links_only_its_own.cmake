# Fails if the adapter names the reference loop or its generic transports
# among its NEEDED entries: it certifies libevent's own loop, sockets and
# streams, so it may link only the vocabulary, BaseEventLoop (static), the
# TLS layer and libevent.
#   cmake -DREADELF=<readelf> -DLIBRARY=<shared library> -P links_only_its_own.cmake
execute_process(COMMAND ${READELF} --dynamic ${LIBRARY} OUTPUT_VARIABLE dynamic_section RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${READELF} --dynamic ${LIBRARY} failed: ${status}")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*" needed "${dynamic_section}")
if(NOT needed)
  # At least libc and libevent: none found means the output was not read
  # right, and the check would pass for nothing.
  message(FATAL_ERROR "no NEEDED entry read from ${LIBRARY}:\n${dynamic_section}")
endif()
set(forbidden ${needed})
list(FILTER forbidden INCLUDE REGEX "\\[libpep3156_(reference|transports|net|subprocess)")
if(forbidden)
  list(JOIN forbidden "\n  " text)
  message(FATAL_ERROR "${LIBRARY} links the reference loop's code:\n  ${text}")
endif()
set(libevent ${needed})
list(FILTER libevent INCLUDE REGEX "\\[libevent")
if(NOT libevent)
  message(FATAL_ERROR "${LIBRARY} does not link libevent")
endif()
list(LENGTH needed count)
message(STATUS "${LIBRARY}: ${count} NEEDED entries, libevent and no reference loop code")
