# Script mode (cmake -P): builds the downstream project SUBPROJECT_DIR, which builds asiokafka
# from source (VIA = add_subdirectory: the tree SOURCE_DIR; VIA = FetchContent: the git
# repository SOURCE_DIR at its HEAD commit), runs its program, installs it and checks that
# nothing of asiokafka was installed with it.
# Inputs: VIA, SOURCE_DIR, SUBPROJECT_DIR, WORK_DIR, GENERATOR, CXX_COMPILER,
# DEPENDENCY_PREFIXES (':'-separated prefixes of librdkafka and Boost).
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/run_checked.cmake)
set(ENV{CMAKE_PREFIX_PATH} "${DEPENDENCY_PREFIXES}")

file(REMOVE_RECURSE ${WORK_DIR})
set(args -DASIOKAFKA_VIA=${VIA})
if(VIA STREQUAL "FetchContent")
  find_program(GIT git REQUIRED)
  run(${GIT} -C ${SOURCE_DIR} rev-parse HEAD)
  string(STRIP "${last_output}" head)
  list(APPEND args -DASIOKAFKA_GIT=${SOURCE_DIR} -DASIOKAFKA_GIT_TAG=${head})
  message(STATUS "FetchContent of ${SOURCE_DIR} at ${head}")
else()
  list(APPEND args -DASIOKAFKA_SOURCE=${SOURCE_DIR})
endif()

# The check is the CMake integration, not the code: the downstream build compiles the library
# at -O0 without debug information, the fastest (the compilations go through ccache when
# scripts/test sets CMAKE_CXX_COMPILER_LAUNCHER in the environment).
run(${CMAKE_COMMAND} -S ${SUBPROJECT_DIR} -B ${WORK_DIR}/build -G ${GENERATOR} ${args}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/package_consumer)
message(STATUS "package_consumer: ${last_output}")

run(${CMAKE_COMMAND} --install ${WORK_DIR}/build --prefix ${WORK_DIR}/prefix)
file(GLOB_RECURSE installed RELATIVE ${WORK_DIR}/prefix ${WORK_DIR}/prefix/*)
if(NOT installed STREQUAL "bin/package_consumer")
  message(FATAL_ERROR "installing the downstream project installed: ${installed}")
endif()
