# asiokafka_add_test(<target> SOURCES ... [LABELS ...] [PROPERTIES ...])
#
# Builds a Boost.Test executable and registers each of its test cases as its own
# CTest test named "<suite>/<case>", discovered after every build from
# `--list_content`, so `ctest -R <case>` runs exactly that case.
set(ASIOKAFKA_DISCOVER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/AsiokafkaBoostTestDiscover.cmake)

function(asiokafka_add_test target)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LABELS;PROPERTIES;LIBRARIES" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # process_guard.cpp: a crash prints its backtrace (see the file).
  add_executable(${target} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/test/support/process_guard.cpp)
  target_link_libraries(${target} PRIVATE asiokafka::asiokafka asiokafka_test_support ${ARG_LIBRARIES})
  set(tests_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_tests.cmake)
  set(include_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_include.cmake)
  string(REPLACE ";" "," labels "${ARG_LABELS}")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D EXE=$<TARGET_FILE:${target}> -D OUT=${tests_file}
            -D LABELS=${labels} -D TIMEOUT=${ARG_TIMEOUT}
            -D "PROPERTIES=${ARG_PROPERTIES}"
            -P ${ASIOKAFKA_DISCOVER_SCRIPT}
    BYPRODUCTS ${tests_file}
    VERBATIM)
  file(WRITE ${include_file}
    "if(EXISTS \"${tests_file}\")\n  include(\"${tests_file}\")\nelse()\n  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
endfunction()
