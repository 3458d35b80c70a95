# Helpers for the script-mode (cmake -P) checks: the package checks (test/package) and the
# example tests (example/check_example.cmake).
#
# run_checked(EXIT <code> [TIMEOUT <seconds>] [ECHO] COMMAND <command>...): runs the command
# and fails the script, showing its output, unless it exits with <code>. Leaves its output
# (stdout and stderr together) in last_output. TIMEOUT kills the command after that long (a
# failure); ECHO also shows the output as it comes.
function(run_checked)
  # Everything after COMMAND is the command, even words such as EXIT or ECHO.
  list(FIND ARGN COMMAND at)
  if(at LESS 0)
    message(FATAL_ERROR "run_checked: COMMAND is required")
  endif()
  list(SUBLIST ARGN 0 ${at} options_part)
  math(EXPR first "${at} + 1")
  list(SUBLIST ARGN ${first} -1 arg_COMMAND)
  cmake_parse_arguments(arg "ECHO" "EXIT;TIMEOUT" "" ${options_part})
  if(NOT DEFINED arg_EXIT OR NOT arg_COMMAND OR arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "run_checked(EXIT <code> [TIMEOUT <s>] [ECHO] COMMAND <command>...): got ${ARGN}")
  endif()
  set(options)
  if(arg_TIMEOUT)
    list(APPEND options TIMEOUT ${arg_TIMEOUT})
  endif()
  if(arg_ECHO)
    list(APPEND options ECHO_OUTPUT_VARIABLE ECHO_ERROR_VARIABLE)
  endif()
  execute_process(COMMAND ${arg_COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out ${options})
  # rc is a number, or a message when the command was killed (signal, timeout): then it
  # never equals a code.
  if(NOT rc MATCHES "^-?[0-9]+$" OR NOT rc EQUAL arg_EXIT)
    string(REPLACE ";" " " line "${arg_COMMAND}")
    if(arg_ECHO)
      set(out "(output above)")
    endif()
    message(FATAL_ERROR "failed: exited with \"${rc}\" (expected ${arg_EXIT}): ${line}\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# run(<command>...): run_checked(EXIT 0 COMMAND <command>...).
function(run)
  run_checked(EXIT 0 COMMAND ${ARGN})
  set(last_output "${last_output}" PARENT_SCOPE)
endfunction()
