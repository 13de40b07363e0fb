# Fails if a committed file differs from what its generator prints now:
#   cmake -DGENERATOR=<program> -DARGUMENT=<argument> -DCOMMITTED=<file> -P check_generated.cmake
execute_process(COMMAND ${GENERATOR} ${ARGUMENT} OUTPUT_VARIABLE generated RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${GENERATOR} ${ARGUMENT} failed (${status})")
endif()
file(READ ${COMMITTED} committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "${COMMITTED} is out of date: regenerate it with `loopcert ${ARGUMENT} > ${COMMITTED}`")
endif()
message(STATUS "${COMMITTED} is up to date")
