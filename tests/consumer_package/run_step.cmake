# run_step(<what> <command> <arguments>...): runs the command (its output goes to the test's log) and fails
# the test, naming the step, when it fails.
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "${what} failed (${result}): ${command}")
  endif()
endfunction()
