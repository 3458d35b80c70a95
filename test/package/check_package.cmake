# Script mode (cmake -P): installs the asiokafka build BUILD_DIR into WORK_DIR/prefix, then
# builds and runs the downstream project CONSUMER_DIR against it twice: through
# find_package(asiokafka CONFIG) and through the installed pkg-config file.
# Inputs: BUILD_DIR, CONSUMER_DIR, WORK_DIR, GENERATOR, CXX_COMPILER, DEPENDENCY_PREFIXES
# (':'-separated prefixes of librdkafka and Boost, as a user sets CMAKE_PREFIX_PATH).
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/run_checked.cmake)
set(ENV{CMAKE_PREFIX_PATH} "${DEPENDENCY_PREFIXES}")

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

message(STATUS "find_package(asiokafka CONFIG) from ${prefix}")
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/cmake-build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-build)
run(${WORK_DIR}/cmake-build/package_consumer)
message(STATUS "package_consumer: ${last_output}")

message(STATUS "pkg-config asiokafka from ${prefix}")
file(GLOB_RECURSE pc_files ${prefix}/*/asiokafka.pc)
list(LENGTH pc_files pc_count)
if(NOT pc_count EQUAL 1)
  message(FATAL_ERROR "expected one installed asiokafka.pc, found: ${pc_files}")
endif()
get_filename_component(pc_dir ${pc_files} DIRECTORY)
set(pkg_config_path ${pc_dir})
string(REPLACE ":" ";" dependency_prefixes "${DEPENDENCY_PREFIXES}")
foreach(dependency IN LISTS dependency_prefixes)
  string(APPEND pkg_config_path ":${dependency}/lib/pkgconfig")
endforeach()
set(ENV{PKG_CONFIG_PATH} ${pkg_config_path})
run(pkg-config --cflags --libs asiokafka)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
# A librdkafka outside the linker's default directories is found at run time through an rpath
# (or LD_LIBRARY_PATH), as a user of pkg-config would link it.
foreach(flag IN LISTS flags)
  if(flag MATCHES "^-L(.+)")
    list(APPEND flags "-Wl,-rpath,${CMAKE_MATCH_1}")
  endif()
endforeach()
message(STATUS "pkg-config flags: ${flags}")
run(${CXX_COMPILER} ${CONSUMER_DIR}/main.cpp -o ${WORK_DIR}/pkg-config-consumer ${flags})
run(${WORK_DIR}/pkg-config-consumer)
message(STATUS "pkg-config-consumer: ${last_output}")
