# The platform is librdkafka >= 2.12 with Boost 1.83; the floor, bookworm's own librdkafka
# 2.0.2 with Boost 1.81, still builds (docs/platform.md). scripts/deps prints the
# CMAKE_PREFIX_PATH of either; another librdkafka is found the same way (its prefix in
# CMAKE_PREFIX_PATH, or PKG_CONFIG_PATH).
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET GLOBAL rdkafka>=2.0)
message(STATUS "asiokafka builds with librdkafka ${RDKAFKA_VERSION} (${RDKAFKA_LINK_LIBRARIES}) "
               "and Boost ${Boost_VERSION} (${Boost_DIR})")
