include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS asiokafka EXPORT asiokafkaTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/asiokafka DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(FILES ${PROJECT_BINARY_DIR}/include/asiokafka/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/asiokafka)
install(EXPORT asiokafkaTargets NAMESPACE asiokafka::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/asiokafka)

configure_package_config_file(cmake/asiokafkaConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/asiokafkaConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/asiokafka)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/asiokafkaConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/asiokafkaConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/asiokafkaConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/asiokafka)

# From <libdir>/pkgconfig back to the prefix (e.g. "../.." for lib, "../../.." for a
# multiarch lib/x86_64-linux-gnu).
file(RELATIVE_PATH ASIOKAFKA_PC_PREFIX_FROM_PCFILEDIR
     /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" ASIOKAFKA_PC_PREFIX_FROM_PCFILEDIR "${ASIOKAFKA_PC_PREFIX_FROM_PCFILEDIR}")
configure_file(cmake/asiokafka.pc.in ${CMAKE_CURRENT_BINARY_DIR}/asiokafka.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/asiokafka.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/asiokafka)
