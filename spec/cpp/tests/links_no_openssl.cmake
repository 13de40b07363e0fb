# Fails if a shared library names libssl or libcrypto among its NEEDED
# entries: libpep3156 is the vocabulary and links no OpenSSL (SSLContext's
# implementation is libpep3156_ssl, linked only by what uses a context).
#   cmake -DREADELF=<readelf> -DLIBRARY=<shared library> -P links_no_openssl.cmake
execute_process(COMMAND ${READELF} --dynamic ${LIBRARY} OUTPUT_VARIABLE dynamic_section RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${READELF} --dynamic ${LIBRARY} failed: ${status}")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*" needed "${dynamic_section}")
if(NOT needed)
  # Every shared C++ library needs at least libc: none found means the
  # output was not read right, and the check would pass for nothing.
  message(FATAL_ERROR "no NEEDED entry read from ${LIBRARY}:\n${dynamic_section}")
endif()
set(openssl ${needed})
list(FILTER openssl INCLUDE REGEX "\\[lib(ssl|crypto)\\.so")
if(openssl)
  list(JOIN openssl "\n  " text)
  message(FATAL_ERROR "${LIBRARY} links OpenSSL:\n  ${text}")
endif()
list(LENGTH needed count)
message(STATUS "${LIBRARY}: ${count} NEEDED entries, none of them OpenSSL")
