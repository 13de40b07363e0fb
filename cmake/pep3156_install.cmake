# What `cmake --install` puts where, and the helpers each folder's
# CMakeLists.txt calls beside its targets. The package itself (the CMake
# config, its version file, the pkg-config files) is written by
# cmake/pep3156_package.cmake once every target exists.
#
# Layout under the prefix (GNUInstallDirs):
#   include/pep3156, include/reference, include/loopcert   the headers
#   lib/libpep3156*.so, lib/libpep3156_loop_base.a,
#   lib/libpep3156_net_support.a, lib/libloopcert_kit.so
#   lib/pep3156/adapters/   the reference loop's adapter (loopcert --adapter)
#   lib/pep3156/faults/     the fault shim loopcert --faults preloads
#   lib/cmake/pep3156/      find_package(pep3156 CONFIG)
#   lib/pkgconfig/          pep3156*.pc, loopcert.pc
#   bin/loopcert, bin/loopbench
include(GNUInstallDirs)

set(PEP3156_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/pep3156)
set(PEP3156_INSTALL_ADAPTERDIR ${CMAKE_INSTALL_LIBDIR}/pep3156/adapters)
set(PEP3156_INSTALL_FAULTSDIR ${CMAKE_INSTALL_LIBDIR}/pep3156/faults)

# The way from one folder of the prefix to another (both relative to the
# prefix), "" when they are the same, with no trailing slash.
function(pep3156_relative_path out from to)
  file(RELATIVE_PATH path /prefix/${from} /prefix/${to})
  string(REGEX REPLACE "/$" "" path "${path}")
  set(${out} "${path}" PARENT_SCOPE)
endfunction()

# Installed binaries find our libraries relative to where they are, so a
# prefix can be moved or unpacked anywhere: INSTALL_RPATH is $ORIGIN plus
# the way from `destination` (relative to the prefix) to the library folder.
function(pep3156_install_rpath target destination)
  pep3156_relative_path(to_libdir ${destination} ${CMAKE_INSTALL_LIBDIR})
  if(to_libdir STREQUAL "")
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN")
  else()
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${to_libdir}")
  endif()
endfunction()

# A library of the package: installed, exported as pep3156::<export_name>
# (the same name is an alias in this build, so a project that adds this
# repository as a subdirectory writes what a find_package() user writes).
# Its headers are found under include/ once installed.
function(pep3156_install_library target export_name)
  add_library(pep3156::${export_name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  pep3156_install_rpath(${target} ${CMAKE_INSTALL_LIBDIR})
  install(TARGETS ${target} EXPORT pep3156Targets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()

# A folder of public headers (`include_dir`/<namespace>/...) merged into the
# prefix's include/.
function(pep3156_install_headers include_dir)
  install(DIRECTORY ${include_dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
endfunction()

# An adapter library loopcert and loopbench load (harness/adapters/), in
# lib/pep3156/adapters/: `loopcert --adapter PREFIX/lib/pep3156/adapters/lib<target>.so`.
function(pep3156_install_adapter target)
  pep3156_install_rpath(${target} ${PEP3156_INSTALL_ADAPTERDIR})
  install(TARGETS ${target} LIBRARY DESTINATION ${PEP3156_INSTALL_ADAPTERDIR})
endfunction()

# A program of the package, in bin/: exported as pep3156::<target>, so a
# project can run the installed one from its own tests
# (add_test(... COMMAND pep3156::loopcert --adapter ...)).
function(pep3156_install_program target)
  add_executable(pep3156::${target} ALIAS ${target})
  pep3156_install_rpath(${target} ${CMAKE_INSTALL_BINDIR})
  install(TARGETS ${target} EXPORT pep3156Targets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

# A pkg-config file, lib/pkgconfig/<name>.pc, for builds without CMake:
#   pep3156_install_pkg_config(<name> <description> REQUIRES <other .pc ...> LIBS <-lfoo ...>)
# Its prefix is found from where the file lies (${pcfiledir}), so it stays
# right whatever `cmake --install --prefix` says. Cflags name no -std: the
# headers need C++20 and the user's compiler line says so.
function(pep3156_install_pkg_config name description)
  cmake_parse_arguments(PARSE_ARGV 2 pc "" "" "REQUIRES;LIBS")
  set(pkgconfig_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  pep3156_relative_path(to_prefix ${pkgconfig_dir} .)
  list(JOIN pc_REQUIRES " " PC_REQUIRES)
  list(JOIN pc_LIBS " " PC_LIBS)
  set(PC_NAME ${name})
  set(PC_DESCRIPTION "${description}")
  set(PC_PREFIX "\${pcfiledir}/${to_prefix}")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/pkg-config.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc DESTINATION ${pkgconfig_dir})
endfunction()
