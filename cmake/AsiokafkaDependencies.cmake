# Boost 1.81 (Debian's libboost1.81-*): the default 1.74 lacks what Asio/JSON need here.
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET GLOBAL rdkafka>=2.0)
