# Fails if an adapter that certifies its library's own networking names the
# reference loop or its generic transports among its NEEDED entries, or
# does not link the library it certifies (LIBRARY, a soname prefix; empty
# for a header-only library): such an adapter may link only the
# vocabulary, BaseEventLoop (static), the TLS layer and its library.
#   cmake -DREADELF=<readelf> -DADAPTER=<shared library> -DLIBRARY=<soname prefix> -P links_own_networking.cmake
execute_process(COMMAND ${READELF} --dynamic ${ADAPTER} OUTPUT_VARIABLE dynamic_section RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${READELF} --dynamic ${ADAPTER} failed: ${status}")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*" needed "${dynamic_section}")
if(NOT needed)
  # At least libc: none found means the output was not read right, and
  # the check would pass for nothing.
  message(FATAL_ERROR "no NEEDED entry read from ${ADAPTER}:\n${dynamic_section}")
endif()
set(forbidden ${needed})
list(FILTER forbidden INCLUDE REGEX "\\[libpep3156_(reference|transports|net|subprocess)")
if(forbidden)
  list(JOIN forbidden "\n  " text)
  message(FATAL_ERROR "${ADAPTER} links the reference loop's code:\n  ${text}")
endif()
if(LIBRARY)
  set(library ${needed})
  list(FILTER library INCLUDE REGEX "\\[${LIBRARY}")
  if(NOT library)
    message(FATAL_ERROR "${ADAPTER} does not link the library it certifies (${LIBRARY})")
  endif()
endif()
list(LENGTH needed count)
message(STATUS "${ADAPTER}: ${count} NEEDED entries, no reference loop code")
