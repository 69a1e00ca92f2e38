# Configures, builds and runs tests/consumer in BINARY_DIR (run with cmake -P, for CTest).
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${BINARY_DIR}
                        -DRTN_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_BUILD_TYPE=Release
                RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "configuring the consumer failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} -j 2 RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "building the STL-only consumer failed")
endif()
execute_process(COMMAND ${BINARY_DIR}/consumer RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "the consumer failed")
endif()
execute_process(COMMAND ${BINARY_DIR}/static_consumer RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "the compile-time API consumer failed")
endif()
