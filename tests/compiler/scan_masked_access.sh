#!/usr/bin/env bash
# Scans GCC's final GIMPLE of the library (a TG_VECT_DUMPS build writes *.optimized beside each
# object) for masked loads and stores that the vectoriser made (.MASK_LOAD, .MASK_STORE and the
# masked gathers and scatters; intrinsics are builtins and do not appear as these).
#
# GCC 12.2 gives the second vector of a two-vector SLP group the first vector's mask
# (tests/compiler/gcc12_slp_mask_load.cpp), so:
#   - a mask used by two masked accesses in one function is an error (that is the bug's shape);
#   - any other masked access is an error unless its function matches a line of the allowlist,
#     each a reviewed function: the masks were read in the dump and found right.
# Usage: scan_masked_access.sh BUILD_DIR ALLOWLIST
set -euo pipefail
build=$1
allow=$2
mapfile -t patterns < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$allow" | grep -v '^$' || true)
mapfile -t dumps < <(find "$build/CMakeFiles" -path '*/tapegrad*.dir/*' -name '*.optimized' | sort)
if [ ${#dumps[@]} -eq 0 ]; then
  echo "scan_masked_access: no *.optimized dumps under $build/CMakeFiles (configure with -DTG_VECT_DUMPS=ON)" >&2
  exit 1
fi
errors=0 reviewed=0
report=$(awk '
  /^;; Function / { fn = $0; sub(/^;; Function /, "", fn); sub(/ \(.*/, "", fn); delete seen; next }
  /\.MASK_(LOAD|STORE|GATHER_LOAD|SCATTER_STORE) \(/ {
    line = $0; sub(/^[[:space:]]+/, "", line)
    mask = line; sub(/\);[[:space:]]*$/, "", mask); n = split(mask, parts, ", "); mask = parts[n]
    kind = "masked"; if ((fn SUBSEP mask) in seen) kind = "shared-mask"
    seen[fn SUBSEP mask] = 1
    print kind "\t" FILENAME "\t" fn "\t" line
  }' "${dumps[@]}")
while IFS=$'\t' read -r kind file fn line; do
  [ -z "$kind" ] && continue
  obj=${file#"$build"/}
  if [ "$kind" = shared-mask ]; then
    echo "ERROR: two masked accesses share mask in $fn ($obj): $line"
    errors=$((errors + 1))
    continue
  fi
  ok=0
  for p in "${patterns[@]}"; do
    if [[ "$fn" == *"$p"* ]]; then ok=1; break; fi
  done
  if [ $ok -eq 1 ]; then
    reviewed=$((reviewed + 1))
  else
    echo "ERROR: masked access in a function not reviewed: $fn ($obj): $line"
    errors=$((errors + 1))
  fi
done <<< "$report"
echo "scan_masked_access: ${#dumps[@]} objects, $reviewed reviewed masked accesses, $errors errors"
[ $errors -eq 0 ]
