#!/usr/bin/env bash
# PNG of a trace as Chrome DevTools' Performance panel (in Debian's headless Chromium) draws it.
#   usage: tests/trace/screenshot.sh TRACE.json OUT.png [screenshot.mjs options, e.g. --around step#2]
# The tools come from tests/trace/setup.sh (default build/trace-tools; else $TAPEGRAD_TRACE_TOOLS).
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,4p' "$0" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
exec node "$here/screenshot.mjs" "$@"
