# Configures, builds and runs find_package/ (a consumer of the installed rtn) against WORK_DIR/prefix.
# cmake -DSOURCE_DIR=<checkout> -DWORK_DIR=<dir> -DCXX_COMPILER=<c++> -DGENERATOR=<generator>
#       -DCOMPONENTS=<comma-separated> -DEXPECT_CPUINFO=0|1 -P check_find_package.cmake
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

set(consumer ${WORK_DIR}/find_package_consumer)
file(REMOVE_RECURSE ${consumer})  # no cached rtn_DIR from an earlier run
run_step("configuring the find_package consumer"
         ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/find_package -B ${consumer} -G ${GENERATOR}
         -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
         -DRTN_EXPECTED_PREFIX=${WORK_DIR}/prefix -DRTN_EXPECTED_COMPONENTS=${COMPONENTS}
         -DRTN_EXPECT_CPUINFO=${EXPECT_CPUINFO} -DRTN_EXPECT_NATIVE=1)
run_step("building the find_package consumer" ${CMAKE_COMMAND} --build ${consumer})
run_step("running the find_package consumer" ${consumer}/package_consumer)
run_step("running the compile-time API consumer" ${consumer}/static_consumer)
