# Compiles and links package_consumer.cpp with nothing but `pkg-config --cflags --libs rtn` against the
# installed WORK_DIR/prefix, then runs it.
# cmake -DSOURCE_DIR=<checkout> -DWORK_DIR=<dir> -DCXX_COMPILER=<c++> -DVERSION=<rtn version>
#       -DEXPECT_BACKENDS=<n> -DEXPECT_CPUINFO=0|1 -P check_pkg_config.cmake
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

find_program(PKG_CONFIG NAMES pkg-config pkgconf)
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "pkg-config is not installed (scripts/setup.sh installs it)")
endif()
file(GLOB_RECURSE pc_file ${WORK_DIR}/prefix/*/rtn.pc)
if(NOT pc_file)
  message(FATAL_ERROR "no rtn.pc in ${WORK_DIR}/prefix")
endif()
get_filename_component(pc_dir ${pc_file} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
set(ENV{PKG_CONFIG_LIBDIR} ${pc_dir})  # this rtn.pc, and no system rtn

execute_process(COMMAND ${PKG_CONFIG} --modversion rtn OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE result)
if(NOT result EQUAL 0 OR NOT version STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config --modversion rtn: '${version}' (exit ${result}), expected ${VERSION}")
endif()
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs rtn OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs rtn failed (${result})")
endif()
message(STATUS "pkg-config --cflags --libs rtn: ${flags}")
# The include directory must be the prefix's (rtn.pc finds it from its own place).
file(REAL_PATH ${WORK_DIR}/prefix/include include_dir)
string(REGEX MATCH "-I([^ ]+)" include_flag "${flags}")
file(REAL_PATH "${CMAKE_MATCH_1}" flag_dir)
if(NOT flag_dir STREQUAL include_dir)
  message(FATAL_ERROR "rtn.pc's include directory is ${flag_dir}, expected ${include_dir}")
endif()

separate_arguments(flags UNIX_COMMAND "${flags}")
set(program ${WORK_DIR}/pkg_config_consumer)
run_step("compiling and linking with pkg-config's flags"
         ${CXX_COMPILER} -std=c++17 -Wall -Wextra -pedantic -Werror -DRTN_EXPECT_BACKENDS=${EXPECT_BACKENDS}
         -DRTN_EXPECT_CPUINFO=${EXPECT_CPUINFO} -DRTN_EXPECT_NATIVE=1 ${CMAKE_CURRENT_LIST_DIR}/package_consumer.cpp
         -o ${program} ${flags})
run_step("running the pkg-config consumer" ${program})
