# The CMake package: `find_package(pep3156 CONFIG)` against an installed
# prefix gives the targets the folders exported with
# pep3156_install_library() and pep3156_install_program() (pep3156::...).
include(CMakePackageConfigHelpers)

install(EXPORT pep3156Targets NAMESPACE pep3156:: DESTINATION ${PEP3156_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/pep3156Config.cmake.in ${PROJECT_BINARY_DIR}/pep3156Config.cmake
  INSTALL_DESTINATION ${PEP3156_INSTALL_CMAKEDIR})
# Before 1.0 a minor version may change the contract: 0.1 accepts 0.1.x only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pep3156ConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/pep3156Config.cmake ${PROJECT_BINARY_DIR}/pep3156ConfigVersion.cmake
  DESTINATION ${PEP3156_INSTALL_CMAKEDIR})
