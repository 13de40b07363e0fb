# Fails if any source of the conformance kit (conformance/, and harness/
# but for the adapters) includes a header from reference/ or links
# the reference loop: the kit is written against spec/ only.
#   cmake -DROOT=<source dir> -P check_spec_only.cmake
file(GLOB_RECURSE sources
  ${ROOT}/conformance/*.cpp ${ROOT}/conformance/*.hpp ${ROOT}/conformance/*.h ${ROOT}/conformance/*CMakeLists.txt
  ${ROOT}/harness/*.cpp ${ROOT}/harness/*.hpp ${ROOT}/harness/*.h ${ROOT}/harness/*CMakeLists.txt)
# The adapters are loops, not the kit: each third-party adapter has its
# own test of what it may link (harness/adapters/README.md).
list(FILTER sources EXCLUDE REGEX "/harness/adapters/")
# Nor is the fuzz target of the reference loop itself (harness/fuzz/reference).
list(FILTER sources EXCLUDE REGEX "/harness/fuzz/reference/")
set(offenders "")
foreach(source ${sources})
  file(STRINGS ${source} lines REGEX "reference/|pep3156_reference")
  foreach(line ${lines})
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]*/)?reference/")
      list(APPEND offenders "${source}: ${line}")
    elseif(line MATCHES "pep3156_reference" AND NOT line MATCHES "^[ \t]*(#|//)"
           AND NOT line MATCHES "^[ \t]*if\\(TARGET pep3156_reference\\)")
      # Linking the reference loop; the one allowed mention is the guard
      # that adds the reference adapter once the loop exists.
      list(APPEND offenders "${source}: ${line}")
    endif()
  endforeach()
endforeach()
if(offenders)
  list(JOIN offenders "\n  " text)
  message(FATAL_ERROR "the conformance kit must use spec/ only, but:\n  ${text}")
endif()
list(LENGTH sources count)
message(STATUS "spec-only: ${count} kit sources checked; none uses reference/")
