# run(COMMAND...) for the package check scripts: runs the command, fails the script with its
# output when it fails, and leaves its output in last_output.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " line "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${line}\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
