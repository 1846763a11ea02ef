#!/usr/bin/env bash
# Compiles every library source as one translation unit (syntax only): two files that define the
# same name in an anonymous namespace, or a file that leans on another's using-declarations,
# fail here. The unity builds of the isa and asan presets batch files by position, so a new
# file can bring any two together; this finds every such pair at once.
# Usage: unity_check.sh [SOURCE_DIR]   (CXX picks the compiler)
set -euo pipefail
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
tu=$(mktemp --suffix=.cpp)
trap 'rm -f "$tu"' EXIT
# io/onnx.cpp is a library of its own (tapegrad::onnx, one file): never batched with the others.
find "$src/framework/tapegrad" "$src/models" -name '*.cpp' | grep -v '/io/onnx\.cpp$' |
  LC_ALL=C sort | sed 's/.*/#include "&"/' > "$tu"
"${CXX:-c++}" -std=c++20 -fsyntax-only -fopenmp -DFMT_SHARED -Wall -Wextra -Wpedantic \
  -Wno-missing-field-initializers -Wno-psabi -Wno-subobject-linkage -Werror \
  -I"$src/framework" -I"$src" "$tu"
echo "unity check: $(wc -l < "$tu") library sources compile as one translation unit"
