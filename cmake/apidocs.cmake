# The API reference: `cmake --build BUILD --target api-docs` runs Doxygen on the public headers
# (docs/Doxyfile.in lists them) and writes BUILD/api-docs/html/index.html. Not part of ALL. Any
# Doxygen warning (an undocumented public declaration, a malformed comment) fails the target: CI
# builds it (.ci/run). Without Doxygen (apt-get install doxygen) the target does not exist.
find_package(Doxygen)
if(NOT DOXYGEN_FOUND)
  message(STATUS "Doxygen not found: no api-docs target (apt-get install doxygen)")
  return()
endif()

set(TG_API_DOCS_DIR ${PROJECT_BINARY_DIR}/api-docs)
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${TG_API_DOCS_DIR}/Doxyfile @ONLY)
# The inputs, so that the target reruns only when a header, the main page or the Doxyfile changed.
file(GLOB_RECURSE TG_API_DOCS_INPUTS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/framework/tapegrad/*.hpp)
list(APPEND TG_API_DOCS_INPUTS ${PROJECT_SOURCE_DIR}/models/models.hpp
                               ${PROJECT_SOURCE_DIR}/docs/api-mainpage.md
                               ${PROJECT_SOURCE_DIR}/docs/Doxyfile.in)
# Doxygen leaves its output in place when it fails on a warning; the stamp is written only on
# success, so a failed run is repeated by the next build.
add_custom_command(
  OUTPUT ${TG_API_DOCS_DIR}/html.stamp
  COMMAND ${CMAKE_COMMAND} -E remove_directory ${TG_API_DOCS_DIR}/html
  COMMAND Doxygen::doxygen ${TG_API_DOCS_DIR}/Doxyfile
  COMMAND ${CMAKE_COMMAND} -E touch ${TG_API_DOCS_DIR}/html.stamp
  DEPENDS ${TG_API_DOCS_INPUTS}
  WORKING_DIRECTORY ${TG_API_DOCS_DIR}
  COMMENT "API reference (Doxygen ${DOXYGEN_VERSION}): ${TG_API_DOCS_DIR}/html/index.html"
  VERBATIM)
add_custom_target(api-docs DEPENDS ${TG_API_DOCS_DIR}/html.stamp)

# ctest runs Doxygen too (label docs), so the test suite also fails on an undocumented
# declaration. It runs Doxygen itself rather than the build, which other tests may be using.
if(TG_BUILD_TESTS AND TG_TEST_SUBSET STREQUAL "all")
  add_test(NAME docs/api_reference COMMAND ${DOXYGEN_EXECUTABLE} ${TG_API_DOCS_DIR}/Doxyfile
           WORKING_DIRECTORY ${TG_API_DOCS_DIR})
  set_tests_properties(docs/api_reference PROPERTIES LABELS docs)
endif()
