# Install layout and the Debian package (`make install`, `make deb`, `cmake --install`).
#
# A plain build tree installs, under CMAKE_INSTALL_PREFIX:
#   bin/bpstress, bin/bpstress-asan, bin/bpstress-tsan   the tool; the sanitizer builds come from
#                                                        the asan and tsan trees (see below)
#   include/bpstress/plugin_abi.h                        the plugin SDK
#   share/pkgconfig/bpstress.pc                          pkg-config --cflags bpstress
#   share/cmake/bpstress/                                find_package(bpstress) -> bpstress::plugin, bp_sched_plugin()
#   share/man/man1/bpstress.1.gz                         generated from --help by help2man
#   share/bash-completion/completions/bpstress           completes subcommands and options
# Everything under share/ is arch-independent (the SDK is one C header), and every path inside the
# pkg-config and CMake files is relative to where they are installed, so the same files serve
# /usr/local (make install), /usr (the .deb) and a temporary prefix (tests/install_test.cc).
#
# One install step gets the binaries of three build trees: the sanitizer binaries are installed
# from the paths in BP_INSTALL_ASAN_EXE / BP_INSTALL_TSAN_EXE (default: the asan and tsan presets'
# trees beside this one), each only if it exists when the install runs. `make install` and
# `make deb` build all three first; a bare `cmake --install build/release` installs whichever
# sanitizer builds are there. A sanitizer tree installs only its own binary, renamed.
include(GNUInstallDirs)

if(BP_FUZZ OR NOT BP_FUZZ_ENGINE STREQUAL "")
  return()  # fuzz targets are not installed
endif()
if(BP_SANITIZE STREQUAL "address")
  install(PROGRAMS $<TARGET_FILE:bpstress> DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME bpstress-asan)
  return()
elseif(BP_SANITIZE STREQUAL "thread")
  install(PROGRAMS $<TARGET_FILE:bpstress> DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME bpstress-tsan)
  return()
endif()

set(BP_INSTALL_ASAN_EXE "${CMAKE_SOURCE_DIR}/build/asan/bpstress"
    CACHE FILEPATH "ASan+UBSan bpstress installed as bpstress-asan when it exists")
set(BP_INSTALL_TSAN_EXE "${CMAKE_SOURCE_DIR}/build/tsan/bpstress"
    CACHE FILEPATH "TSan bpstress installed as bpstress-tsan when it exists")

install(TARGETS bpstress RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS ${BP_INSTALL_ASAN_EXE} DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME bpstress-asan
        OPTIONAL)
install(PROGRAMS ${BP_INSTALL_TSAN_EXE} DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME bpstress-tsan
        OPTIONAL)

# The plugin SDK: the header, pkg-config and a CMake package exporting bpstress::plugin.
install(FILES ${CMAKE_SOURCE_DIR}/include/bpstress/plugin_abi.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bpstress)
install(TARGETS bpstress_plugin EXPORT bpstressTargets)
set(BP_CMAKE_DIR ${CMAKE_INSTALL_DATADIR}/cmake/bpstress)
install(EXPORT bpstressTargets NAMESPACE bpstress:: DESTINATION ${BP_CMAKE_DIR})
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/bpstressConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_SOURCE_DIR}/cmake/bpstressConfig.cmake
              ${CMAKE_SOURCE_DIR}/cmake/bpstressSched.cmake
              ${CMAKE_BINARY_DIR}/bpstressConfigVersion.cmake DESTINATION ${BP_CMAKE_DIR})
configure_file(${CMAKE_SOURCE_DIR}/cmake/bpstress.pc.in ${CMAKE_BINARY_DIR}/bpstress.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/bpstress.pc DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig)

install(FILES ${CMAKE_SOURCE_DIR}/cmake/bpstress.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME bpstress)

# The man page is the --help text, so it never disagrees with the binary.
find_program(BP_HELP2MAN help2man)
if(BP_HELP2MAN)
  add_custom_command(
    OUTPUT ${CMAKE_BINARY_DIR}/bpstress.1 ${CMAKE_BINARY_DIR}/bpstress.1.gz
    COMMAND ${BP_HELP2MAN} --no-info --section 1 --version-string ${PROJECT_VERSION}
            --name "stress and fuzz testing for byte-buffer pools"
            --output ${CMAKE_BINARY_DIR}/bpstress.1 $<TARGET_FILE:bpstress>
    COMMAND gzip -9nf -k ${CMAKE_BINARY_DIR}/bpstress.1
    DEPENDS bpstress
    COMMENT "Generating the man page bpstress.1 from bpstress --help")
  add_custom_target(bpstress_man ALL DEPENDS ${CMAKE_BINARY_DIR}/bpstress.1.gz)
  install(FILES ${CMAKE_BINARY_DIR}/bpstress.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man page (make deps installs it)")
endif()

# make deb: a Debian package of the same install, dependencies computed by dpkg-shlibdeps.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bpstress)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "bpstress maintainers <bpstress@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "stress and fuzz testing for byte-buffer pools")
set(CPACK_PACKAGE_DESCRIPTION
    "bpstress runs buffer pools (built-in, or loaded from a shared library through a C ABI) from \
many threads and checks every buffer for double hand-outs, corruption and short capacity. \
Includes ASan and TSan builds (bpstress-asan, bpstress-tsan), the plugin header and a \
contract checker for plugin authors.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkg-config, cmake")
include(CPack)
