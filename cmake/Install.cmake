# The library as a package: kiln::kiln (every part), the parts as kiln::ir,
# kiln::frontend, ..., kiln::train, the headers under include/kiln/, and the `kiln` tool.
# A user's project needs only
#   find_package(kiln REQUIRED)
#   target_link_libraries(app PRIVATE kiln::kiln)
include(CMakePackageConfigHelpers)

get_property(kiln_libraries GLOBAL PROPERTY KILN_LIBRARIES)
add_library(kiln_all INTERFACE)
add_library(kiln::kiln ALIAS kiln_all)
set_target_properties(kiln_all PROPERTIES EXPORT_NAME kiln)
target_link_libraries(kiln_all INTERFACE ${kiln_libraries})

set(KILN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/kiln)
install(TARGETS ${kiln_libraries} kiln_all EXPORT kilnTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS kiln RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT kilnTargets NAMESPACE kiln:: DESTINATION ${KILN_CMAKE_DIR})
install(FILES kiln.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kiln)
foreach(part ir frontend passes codegen runtime)
  install(DIRECTORY ${part} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kiln
          FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
endforeach()

configure_package_config_file(cmake/kilnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/kilnConfig.cmake INSTALL_DESTINATION ${KILN_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/kilnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/kilnConfig.cmake ${PROJECT_BINARY_DIR}/kilnConfigVersion.cmake
        DESTINATION ${KILN_CMAKE_DIR})
