#!/usr/bin/env bash
# The scanner must catch the construct it exists for: compile the standalone reproducer of the
# GCC 12.2 bug (gcc12_slp_mask_load.cpp) for icelake-server into a directory laid out like a
# build, and require scan_masked_access.sh to report it (a shared mask while the compiler has the
# bug, an unreviewed masked access in any case).
# Usage: scan_selftest.sh CXX SOURCE_DIR
set -euo pipefail
cxx=$1
src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/CMakeFiles/tapegrad.dir"
"$cxx" -O3 -march=icelake-server \
  -fdump-tree-optimized="$dir/CMakeFiles/tapegrad.dir/repro.cpp.cpp.252t.optimized" \
  -c "$src/tests/compiler/gcc12_slp_mask_load.cpp" -o "$dir/repro.o"
if out=$(bash "$src/tests/compiler/scan_masked_access.sh" "$dir" \
           "$src/tests/compiler/masked_access_allowed.txt"); then
  echo "scan_selftest: the scanner passed the reproducer's masked loads: $out" >&2
  exit 1
fi
echo "$out" | cut -c1-160
grep -q "ERROR: two masked accesses share mask" <<< "$out" &&
  echo "scan_selftest: caught (this compiler has the bug: both loads share one mask)" ||
  echo "scan_selftest: caught (masked loads outside the reviewed functions)"
