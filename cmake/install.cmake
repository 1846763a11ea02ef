# What `cmake --install BUILD --prefix P` installs:
#   P/include/tapegrad/...            the library's headers (and models/ under it)
#   P/lib/libtapegrad.a, libtapegrad_models.a, libtapegrad_activations.a
#   P/lib/cmake/tapegrad/             tapegradConfig.cmake, its version file and the targets:
#                                     find_package(tapegrad CONFIG) gives tapegrad::tapegrad and
#                                     tapegrad::models with their usage requirements, and
#                                     tapegrad::onnx (ONNX export) when it was built
#   P/lib/pkgconfig/tapegrad.pc       for builds without CMake
#   P/bin/tapegrad, P/share/bash-completion/completions/tapegrad
#                                     the command and its completion (their rules are in
#                                     tools/CMakeLists.txt, beside the target)
# The library's files are the install component "dev", the command's "tools": cmake/package.cmake
# makes a Debian package of each (libtapegrad-dev, tapegrad).
#
# The activations register themselves from static objects that no program refers to by name. In
# the build tree their objects go into every program that links tapegrad (tapegrad's INTERFACE
# sources). Installed, they are an archive that tapegrad::tapegrad links whole
# (--whole-archive), so a consumer that names no activation still has every built-in one. With
# BUILD_SHARED_LIBS the libraries are P/lib/libtapegrad.so and libtapegrad_models.so, and the
# activations are in libtapegrad.so.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

if(BUILD_SHARED_LIBS)
  # libtapegrad.so holds the activations itself: nothing to link whole.
  set(tg_installed tapegrad tapegrad_models)
  set(TG_PC_LIBS "-ltapegrad_models -ltapegrad")
else()
  add_library(tapegrad_activations_archive STATIC $<TARGET_OBJECTS:tapegrad_activations>)
  set_target_properties(tapegrad_activations_archive PROPERTIES OUTPUT_NAME tapegrad_activations
                                                                EXPORT_NAME activations)
  # tapegrad (installed) pulls the archive in whole, and then its own archive once more: the
  # activation objects call into tapegrad, and a static library only resolves what comes before it.
  # (Linking the archive to tapegrad instead would be a cycle, whose whole-archive member CMake
  # repeats: every activation defined twice.)
  target_link_libraries(tapegrad_activations_archive INTERFACE fmt::fmt OpenMP::OpenMP_CXX)
  target_link_libraries(tapegrad INTERFACE
    "$<INSTALL_INTERFACE:$<LINK_LIBRARY:WHOLE_ARCHIVE,tapegrad::activations>>"
    "$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${CMAKE_INSTALL_LIBDIR}/${CMAKE_STATIC_LIBRARY_PREFIX}tapegrad${CMAKE_STATIC_LIBRARY_SUFFIX}>")
  set(tg_installed tapegrad tapegrad_models tapegrad_activations_archive)
  set(TG_PC_LIBS "-ltapegrad_models -Wl,--whole-archive -ltapegrad_activations -Wl,--no-whole-archive -ltapegrad")
endif()
target_include_directories(tapegrad INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
# models/models.hpp is included as "models/models.hpp": installed under include/tapegrad/.
target_include_directories(tapegrad_models
                           INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/tapegrad>)
set_target_properties(tapegrad_models PROPERTIES EXPORT_NAME models)

if(TG_HAVE_ONNX)
  list(APPEND tg_installed tapegrad_onnx)
endif()
install(TARGETS ${tg_installed} EXPORT tapegradTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/framework/tapegrad
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_SOURCE_DIR}/models/models.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad/models COMPONENT dev)

set(TG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)
install(EXPORT tapegradTargets NAMESPACE tapegrad:: DESTINATION ${TG_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tapegradConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/tapegradConfig.cmake
                              INSTALL_DESTINATION ${TG_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tapegradConfig.cmake
              ${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake
        DESTINATION ${TG_CMAKE_DIR} COMPONENT dev)

# pkg-config: the same libraries and flags (the compile options of this build, -march included,
# since the headers' inline code must be compiled as the library was).
string(JOIN " " TG_PC_CFLAGS ${TG_ARCH_FLAGS} -fopenmp)
# The prefix relative to the .pc file, so that the tree works wherever it was installed.
file(RELATIVE_PATH TG_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${PROJECT_SOURCE_DIR}/cmake/tapegrad.pc.in ${PROJECT_BINARY_DIR}/tapegrad.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tapegrad.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT dev)
