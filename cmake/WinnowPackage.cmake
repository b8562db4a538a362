# Install rules and the package files that let another project use Winnow:
#   find_package(Winnow REQUIRED) + target_link_libraries(app PRIVATE Winnow::winnow)
#   pkg-config --cflags --libs --static winnow
# Everything is relative to the prefix given to `cmake --install --prefix`, so one build tree may
# be installed anywhere. tests/package/ installs it into a scratch prefix and builds against it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WINNOW_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Winnow)

# Consumers name the library Winnow::winnow whether they installed it or added this tree with
# add_subdirectory(); winnow_core stays the name inside the tree.
set_target_properties(winnow_core PROPERTIES EXPORT_NAME winnow)
add_library(Winnow::winnow ALIAS winnow_core)

# An instrumented archive cannot link without the sanitizer runtimes: the installed target (and
# winnow.pc below) carry the link flag so a consumer needs no knowledge of how Winnow was built.
if(WINNOW_SANITIZE)
  set(WINNOW_SANITIZER_LINK_FLAGS -fsanitize=address,undefined)
  target_link_options(winnow_core INTERFACE ${WINNOW_SANITIZER_LINK_FLAGS})
endif()

install(TARGETS winnow_core EXPORT WinnowTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS winnow RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/winnow
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT WinnowTargets
  NAMESPACE Winnow::
  DESTINATION ${WINNOW_CMAKE_INSTALL_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/WinnowConfig.cmake.in
  ${PROJECT_BINARY_DIR}/WinnowConfig.cmake
  INSTALL_DESTINATION ${WINNOW_CMAKE_INSTALL_DIR})
# Before 1.0 a minor release may change the API, so only the same major.minor is compatible.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/WinnowConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/WinnowConfig.cmake
  ${PROJECT_BINARY_DIR}/WinnowConfigVersion.cmake
  DESTINATION ${WINNOW_CMAKE_INSTALL_DIR})

# winnow.pc finds the prefix from its own location (${pcfiledir}), as the CMake package does.
file(RELATIVE_PATH WINNOW_PC_PREFIX_FROM_PCFILEDIR
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" WINNOW_PC_PREFIX_FROM_PCFILEDIR ${WINNOW_PC_PREFIX_FROM_PCFILEDIR})
# Threads::Threads adds no flag where the C library holds pthreads (glibc 2.34 and later).
string(JOIN " " WINNOW_PC_LIBS_PRIVATE -lxgboost -llinear -lsvm -lpq ${CMAKE_THREAD_LIBS_INIT}
            ${WINNOW_SANITIZER_LINK_FLAGS})
if(WINNOW_PC_LIBS_PRIVATE)
  set(WINNOW_PC_LIBS_PRIVATE "Libs.private: ${WINNOW_PC_LIBS_PRIVATE}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/winnow.pc.in ${PROJECT_BINARY_DIR}/winnow.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/winnow.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
