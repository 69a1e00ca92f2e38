# The packaging tests' fixture: configures, builds and installs the library alone (no tests, tools or
# benchmarks) into WORK_DIR/prefix. The build directory, WORK_DIR/build, is kept between runs (a rerun only
# rebuilds what changed); the prefix is made afresh, so nothing a previous install left can hide a file
# that is no longer installed.
# cmake -DSOURCE_DIR=<checkout> -DWORK_DIR=<dir> -DCXX_COMPILER=<c++> -DGENERATOR=<generator>
#       -DWITH_EIGEN=ON|OFF -DWITH_XSIMD=ON|OFF -DWITH_JSON=ON|OFF -DWITH_CPUINFO=ON|OFF -P install_rtn.cmake
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${prefix})
run_step("configuring rtn"
         ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release
         -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_INSTALL_PREFIX=${prefix}
         -DRTN_BUILD_TESTS=OFF -DRTN_BUILD_TOOLS=OFF -DRTN_BUILD_BENCHMARKS=OFF
         -DRTN_WITH_EIGEN=${WITH_EIGEN} -DRTN_WITH_XSIMD=${WITH_XSIMD} -DRTN_WITH_JSON=${WITH_JSON}
         -DRTN_WITH_CPUINFO=${WITH_CPUINFO})
run_step("building rtn" ${CMAKE_COMMAND} --build ${WORK_DIR}/build -j 2)
run_step("installing rtn" ${CMAKE_COMMAND} --install ${WORK_DIR}/build)

foreach(pattern include/rtn/rtn.hpp include/rtn/model.hpp lib*/librtn.* lib*/cmake/rtn/rtnConfig.cmake
                lib*/cmake/rtn/rtnConfigVersion.cmake lib*/cmake/rtn/rtnTargets.cmake lib*/pkgconfig/rtn.pc)
  file(GLOB found ${prefix}/${pattern})
  if(NOT found)
    message(FATAL_ERROR "the install has no ${pattern} in ${prefix}")
  endif()
endforeach()
# The public headers, and under rtn/kernels the kernel templates and ops headers that rtn/static_model.hpp
# instantiates (target rtn::static): headers only, nothing else from engine/src.
file(GLOB_RECURSE headers RELATIVE ${prefix}/include ${prefix}/include/*)
foreach(header IN LISTS headers)
  if(NOT header MATCHES "^rtn/[a-z_]+\\.hpp$" AND NOT header MATCHES "^rtn/kernels/[a-z_0-9/]+\\.hpp$")
    message(FATAL_ERROR "the install has an unexpected header: include/${header}")
  endif()
endforeach()
foreach(header rtn/static_model.hpp rtn/kernels/backends/stl_ops.hpp rtn/kernels/layers/lstm/lstm_kernel.hpp)
  if(NOT EXISTS ${prefix}/include/${header})
    message(FATAL_ERROR "the install has no include/${header}")
  endif()
endforeach()
