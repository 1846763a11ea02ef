#!/usr/bin/env bash
# Opens an HTML page in headless Chromium and checks what a person would see go wrong:
#  - console messages: a script error, a failed resource load, or an SVG attribute the browser
#    rejects (d="M nan 3" is logged as "Error: <path> attribute d: Expected number");
#  - each expected element id missing from the rendered DOM;
#  - no screenshot.
# Writes OUT_DIR/dom.html, OUT_DIR/screenshot.png (1280 x HEIGHT) and OUT_DIR/chromium.log.
# Whether the screenshot shows anything is checked by the caller (tests/study/test_report.cpp
# decodes the PNG).
#
# Usage: check_report_browser.sh PAGE.html OUT_DIR [HEIGHT] [ID...]
# Exit status: 0 all checks pass, 1 a check failed, 77 Chromium is not installed (skip).
# CHROMIUM overrides the browser command.
set -uo pipefail

page=$1
out=$2
height=${3:-4000}
shift 3 || shift $#

browser=${CHROMIUM:-}
if [[ -z $browser ]]; then
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" > /dev/null 2>&1; then
      browser=$b
      break
    fi
  done
fi
if [[ -z $browser ]]; then
  echo "SKIP: no chromium, chromium-browser or google-chrome on PATH (set CHROMIUM)"
  exit 77
fi

mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
rm -f "$out/screenshot.png"

# One browser start does both the DOM dump (stdout) and the screenshot. --no-sandbox: containers
# and CI runners usually run as root, where Chromium refuses its sandbox. --v=0 with
# --enable-logging=stderr prints every console message as "...:INFO:CONSOLE(line)] "text"".
status=0
timeout 60 "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
  --no-first-run --no-default-browser-check --user-data-dir="$profile" \
  --enable-logging=stderr --v=0 --window-size="1280,$height" \
  --screenshot="$out/screenshot.png" --dump-dom "file://$abs" \
  > "$out/dom.html" 2> "$out/chromium.log" || status=$?

fail=0
if [[ $status -ne 0 ]]; then
  echo "FAIL: $browser exited with status $status (see $out/chromium.log)"
  fail=1
fi
if grep -E ':CONSOLE|Uncaught' "$out/chromium.log" > "$out/console.log"; then
  echo "FAIL: the page logged to the console:"
  sed 's/^/  /' "$out/console.log"
  fail=1
fi
for id in "$@"; do
  if ! grep -q "id=\"$id\"" "$out/dom.html"; then
    echo "FAIL: no element with id=\"$id\" in the rendered DOM"
    fail=1
  fi
done
if [[ ! -s $out/screenshot.png ]]; then
  echo "FAIL: no screenshot written"
  fail=1
fi
if [[ $fail -eq 0 ]]; then
  echo "OK: $page renders without console messages, $# ids found, screenshot $out/screenshot.png"
fi
exit $fail
