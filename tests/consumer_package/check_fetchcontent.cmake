# Configures, builds and runs fetchcontent/ (rtn as a FetchContent subproject from SOURCE_DIR) in WORK_DIR,
# then checks in its compile_commands.json that no rtn source was compiled with -march=native. Object files
# are kept between runs, the CMake cache is not: the options' defaults are what is tested.
# cmake -DSOURCE_DIR=<checkout> -DWORK_DIR=<dir> -DCXX_COMPILER=<c++> -DGENERATOR=<generator>
#       -P check_fetchcontent.cmake
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

file(REMOVE ${WORK_DIR}/CMakeCache.txt)
run_step("configuring the FetchContent consumer"
         ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/fetchcontent -B ${WORK_DIR} -G ${GENERATOR}
         -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DRTN_SOURCE_DIR=${SOURCE_DIR})
file(READ ${WORK_DIR}/compile_commands.json commands)
string(FIND "${commands}" "engine/src/model.cpp" position)
if(position EQUAL -1)
  message(FATAL_ERROR "${WORK_DIR}/compile_commands.json does not compile rtn's sources")
endif()
string(FIND "${commands}" "-march=native" position)
if(NOT position EQUAL -1)
  message(FATAL_ERROR "rtn as a FetchContent subproject is compiled with -march=native (${WORK_DIR}/compile_commands.json)")
endif()
run_step("building the FetchContent consumer" ${CMAKE_COMMAND} --build ${WORK_DIR} -j 2)
run_step("running the FetchContent consumer" ${WORK_DIR}/package_consumer)
