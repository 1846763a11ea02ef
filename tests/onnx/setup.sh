#!/usr/bin/env bash
# Installs ONNX Runtime for tests/onnx: the npm package onnxruntime-node (pinned by
# tests/onnx/package-lock.json), whose linux-x64 CPU binaries are inside the package, into DIR
# (default: build/onnx-tools), never into the source tree. Its install script, which fetches
# optional GPU parts from a host outside the npm registry, is not run (--ignore-scripts). Needs
# Node.js >= 20 and npm (Debian's nodejs and npm, installed as root when missing).
# Idempotent: a second run with nothing to do takes well under a second.
#
#   usage: tests/onnx/setup.sh [DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="${1:-$repo/build/onnx-tools}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "onnx-tools: need Node.js and npm (apt-get install nodejs npm as root)" >&2
    exit 1
  fi
  echo "onnx-tools: installing Node.js and npm from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

stamp="$dir/.installed-lock.sha256"
lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ] &&
   [ -f "$dir/node_modules/onnxruntime-node/package.json" ]; then
  echo "onnx-tools: up to date in $dir"
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dir/"
start=$(date +%s)
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "$lock_sum" > "$stamp"
echo "onnx-tools: onnxruntime-node installed in $dir in $(( $(date +%s) - start )) s" \
  "($(du -sh "$dir/node_modules" | cut -f1))"
