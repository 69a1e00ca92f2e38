# Install and export rules for the library: `find_package(rtn)` (rtnConfig.cmake, rtnConfigVersion.cmake,
# rtnTargets.cmake) and `pkg-config rtn` (rtn.pc) against an installed tree. Included by the root
# CMakeLists.txt when RTN_INSTALL is ON (the default only when rtn is the top-level project).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RTN_CONFIG_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/rtn)

install(TARGETS rtn rtn_static EXPORT rtnTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/engine/include/rtn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
# The kernel templates and ops headers that rtn/static_model.hpp instantiates (target rtn::static).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/engine/src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rtn/kernels
        FILES_MATCHING PATTERN "*.hpp")
install(EXPORT rtnTargets NAMESPACE rtn:: DESTINATION ${RTN_CONFIG_INSTALL_DIR})
# The same targets from the build tree, for -Drtn_DIR=<this build directory> without installing.
export(EXPORT rtnTargets NAMESPACE rtn:: FILE ${PROJECT_BINARY_DIR}/rtnTargets.cmake)

# What the config must know about this build: the optional parts compiled in (its components) and, for a
# static library, the link dependencies the consumer must add (cpuinfo is a shared library it links).
get_target_property(RTN_LIBRARY_TYPE rtn TYPE)
set(RTN_STATIC_LIBRARY OFF)
if(RTN_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
  set(RTN_STATIC_LIBRARY ON)
endif()
set(RTN_CPUINFO_LIBRARY_DIR "")
if(RTN_WITH_CPUINFO)
  get_filename_component(RTN_CPUINFO_LIBRARY_DIR ${RTN_CPUINFO_LIBRARY} DIRECTORY)
endif()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/rtnConfig.cmake.in ${PROJECT_BINARY_DIR}/rtnConfig.cmake
                              INSTALL_DESTINATION ${RTN_CONFIG_INSTALL_DIR})
# 0.x: every minor release may change the API (semantic versioning's rule for 0.y.z), so 0.1.x accepts a
# request for 0.1 but not for 0.2 or 1.0. SameMajorVersion would let a 0.2 satisfy find_package(rtn 0.1).
# Switch to SameMajorVersion at 1.0.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rtnConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rtnConfig.cmake ${PROJECT_BINARY_DIR}/rtnConfigVersion.cmake
        DESTINATION ${RTN_CONFIG_INSTALL_DIR})

# rtn.pc. The prefix is found from the file's own place (${pcfiledir}), so the tree stays relocatable and
# `cmake --install --prefix` works; an absolute CMAKE_INSTALL_LIBDIR gets absolute paths instead.
if(IS_ABSOLUTE ${CMAKE_INSTALL_LIBDIR} OR IS_ABSOLUTE ${CMAKE_INSTALL_INCLUDEDIR})
  set(RTN_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
  set(RTN_PC_LIBDIR ${CMAKE_INSTALL_FULL_LIBDIR})
  set(RTN_PC_INCLUDEDIR ${CMAKE_INSTALL_FULL_INCLUDEDIR})
else()
  file(RELATIVE_PATH RTN_PC_UP /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
  string(REGEX REPLACE "/$" "" RTN_PC_UP "${RTN_PC_UP}")
  set(RTN_PC_PREFIX "\${pcfiledir}/${RTN_PC_UP}")
  set(RTN_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(RTN_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# The headers' view of the build (RTN_HAVE_JSON declares the loaders), as the CMake target passes it on.
set(RTN_PC_CFLAGS "")
foreach(feature EIGEN XSIMD JSON)
  if(RTN_WITH_${feature})
    string(APPEND RTN_PC_CFLAGS " -DRTN_HAVE_${feature}=1")
  endif()
endforeach()
# cpuinfo: needed to link a static librtn.a (so in Libs: `pkg-config --libs` without --static must work, and
# rtn installs no shared library beside it); only Libs.private for a shared one.
set(RTN_PC_DEPENDENCY_LIBS "")
if(RTN_WITH_CPUINFO)
  if(NOT RTN_CPUINFO_LIBRARY_DIR IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    set(RTN_PC_DEPENDENCY_LIBS "-L${RTN_CPUINFO_LIBRARY_DIR} ")
  endif()
  string(APPEND RTN_PC_DEPENDENCY_LIBS "-lcpuinfo")
endif()
set(RTN_PC_LIBS "")
set(RTN_PC_LIBS_PRIVATE_LINE "")
if(RTN_STATIC_LIBRARY AND RTN_PC_DEPENDENCY_LIBS)
  set(RTN_PC_LIBS " ${RTN_PC_DEPENDENCY_LIBS}")
elseif(RTN_PC_DEPENDENCY_LIBS)
  set(RTN_PC_LIBS_PRIVATE_LINE "Libs.private: ${RTN_PC_DEPENDENCY_LIBS}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/rtn.pc.in ${PROJECT_BINARY_DIR}/rtn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/rtn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
