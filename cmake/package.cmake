# Debian packages: `cd BUILD && cpack -G DEB` makes two from what `cmake --install` installs:
#   libtapegrad-dev   the headers, the static libraries, the CMake package and the pkg-config
#                     file (component "dev"), depending on the -dev packages a consumer links
#   tapegrad          the `tapegrad` command and its bash completion (component "tools"), with
#                     its shared-library dependencies found by dpkg-shlibdeps
# Both install under /usr. The libraries and the command are compiled for this build's
# instruction set (TG_ARCH, `native` by default): configure with -DTG_ARCH=x86-64-v3 (or v2) for
# packages meant for other machines. The package descriptions name the target.
set(CPACK_PACKAGE_NAME tapegrad)
set(CPACK_PACKAGE_VENDOR "tapegrad")
set(CPACK_PACKAGE_CONTACT "tapegrad developers <tapegrad@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dev tools)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)

if(TG_NATIVE)
  set(tg_target "${TG_ARCH}")
else()
  set(tg_target "the compiler's default")
endif()

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libtapegrad-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# What a program that links tapegrad::tapegrad needs: the headers include fmt; the libraries call
# zlib, SQLite, stb (libstb-dev) and OpenMP (GCC's libgomp); C++20 needs GCC 12 or later.
# tapegrad::onnx (when built) links libonnx and protobuf.
set(tg_dev_depends "libfmt-dev, libsqlite3-dev, zlib1g-dev, libstb-dev")
if(TG_HAVE_ONNX)
  string(APPEND tg_dev_depends ", libonnx-dev, libprotobuf-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${tg_dev_depends}, g++ (>= 4:12) | clang (>= 1:14)")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "tapegrad: headers, static libraries, CMake package and pkg-config file\n\
A from-scratch deep-learning framework in C++20 with a tape-based autograd and learnable\n\
activation functions. find_package(tapegrad CONFIG) gives tapegrad::tapegrad,\n\
tapegrad::models and tapegrad::onnx (ONNX export). Compiled for ${tg_target}.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME tapegrad)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_TOOLS_PACKAGE_RECOMMENDS "dataset-fashion-mnist")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
    "tapegrad: the tapegrad command (training, prediction, activations, studies)\n\
One command with subcommands in the style of git: tapegrad train-cnn, train-mlp, train-rnn,\n\
predict, activations, study, inspect. Compiled for ${tg_target}.")

include(CPack)
