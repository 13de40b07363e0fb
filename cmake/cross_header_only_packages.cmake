# doctest and nlohmann_json when cross-compiling (the Windows build): both
# are header-only, so the machine's Debian copies serve every target, but
# their CMake packages would put all of /usr/include on the include path,
# where the Linux C library's headers would shadow the target's. Each gets an
# imported target whose include directory holds only its own headers.
set(host_header_only_includes ${CMAKE_BINARY_DIR}/host-header-only/include)
file(MAKE_DIRECTORY ${host_header_only_includes})
foreach(target_and_dir IN ITEMS "doctest::doctest=doctest" "nlohmann_json::nlohmann_json=nlohmann")
  string(REPLACE "=" ";" target_and_dir ${target_and_dir})
  list(GET target_and_dir 0 target)
  list(GET target_and_dir 1 dir)
  if(NOT EXISTS /usr/include/${dir})
    message(FATAL_ERROR "${target}: /usr/include/${dir} not found (Debian packages doctest-dev, nlohmann-json3-dev)")
  endif()
  file(CREATE_LINK /usr/include/${dir} ${host_header_only_includes}/${dir} SYMBOLIC)
  add_library(${target} INTERFACE IMPORTED)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${host_header_only_includes})
endforeach()
