# Script mode (cmake -P), the command of every example test:
#   cmake -D EXPECT_OUTPUT=<regex> [-D EXPECT_EXIT=<code>] [-D TIMEOUT=<s>] [-D REAL_BROKER=ON]
#         -P check_example.cmake -- <example> <args>...
# Runs the example, showing its output, and fails unless it exits with EXPECT_EXIT (default 0)
# AND its output (stdout and stderr) matches EXPECT_OUTPUT. (ctest's pass-on-output regex
# alone would ignore the exit status: an example printing its phrase and then failing passed.)
# REAL_BROKER: `--brokers <address>` is appended, the real Kafka that scripts/test started
# (ASIOKAFKA_TEST_BROKERS, or the first line of the file named by ASIOKAFKA_TEST_BROKERS_FILE).
include(${CMAKE_CURRENT_LIST_DIR}/../cmake/run_checked.cmake)

if(NOT DEFINED EXPECT_OUTPUT OR EXPECT_OUTPUT STREQUAL "")
  message(FATAL_ERROR "check_example.cmake: EXPECT_OUTPUT is required")
endif()
if(NOT DEFINED EXPECT_EXIT)
  set(EXPECT_EXIT 0)
endif()

# The command: the arguments after "--".
set(command)
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_separator)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()
if(NOT command)
  message(FATAL_ERROR "check_example.cmake: no command after --")
endif()
if(REAL_BROKER)
  set(brokers "$ENV{ASIOKAFKA_TEST_BROKERS}")
  if(brokers STREQUAL "" AND NOT "$ENV{ASIOKAFKA_TEST_BROKERS_FILE}" STREQUAL "")
    file(STRINGS "$ENV{ASIOKAFKA_TEST_BROKERS_FILE}" brokers LIMIT_COUNT 1)
  endif()
  if(brokers STREQUAL "")
    message(FATAL_ERROR "check_example.cmake: this example needs a Kafka broker: run it through scripts/test, or "
                        "start one with `scripts/kafka start` and export ASIOKAFKA_TEST_BROKERS=<host:port>")
  endif()
  list(APPEND command --brokers "${brokers}")
endif()

set(timeout)
if(TIMEOUT)
  set(timeout TIMEOUT ${TIMEOUT})
endif()
run_checked(EXIT ${EXPECT_EXIT} ${timeout} ECHO COMMAND ${command})
if(NOT last_output MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "exited with ${EXPECT_EXIT} as expected, but the output does not match \"${EXPECT_OUTPUT}\"")
endif()
message(STATUS "exit status ${EXPECT_EXIT} and output matching \"${EXPECT_OUTPUT}\": passed")
