#!/usr/bin/env bash
# Installs the tools that tests/trace needs to check and picture a Chrome trace-event JSON file:
#   - Debian's chromium (headless; its bundled DevTools front end draws the trace), as root via apt-get;
#   - Node.js >= 20 and npm (already on the project's machines; Debian's nodejs is the fallback);
#   - from npm, pinned by tests/trace/package-lock.json: @paulirish/trace_engine (the trace engine
#     of Chrome DevTools' Performance panel, runs under Node) and playwright-core (drives the
#     system Chromium; it downloads no browser).
# The npm packages go into DIR (default: build/trace-tools), never into the source tree.
# Idempotent: a second run with nothing to do takes well under a second.
#
#   usage: tests/trace/setup.sh [DIR] [--no-chromium]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="$repo/build/trace-tools"
want_chromium=1
for a in "$@"; do
  case "$a" in
    --no-chromium) want_chromium=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) dir="$a" ;;
  esac
done
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

apt_updated=0
apt_install() {  # apt_install PACKAGE...
  if [ "$(id -u)" != 0 ]; then
    echo "trace-tools: need root to apt-get install $*; install them and run again" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ "$want_chromium" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "trace-tools: installing Debian's chromium (about 140 MB to download, 480 MB on disk)"
  apt_install chromium fonts-dejavu-core
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "trace-tools: installing Node.js and npm from Debian"
  apt_install nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "trace-tools: Node.js $(node --version) is too old; playwright-core and the trace engine need >= 20" >&2
  exit 1
fi

# npm packages: reinstall only when the lock file changed.
stamp="$dir/.installed-lock.sha256"
lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ] &&
   [ -f "$dir/node_modules/@paulirish/trace_engine/package.json" ] &&
   [ -f "$dir/node_modules/playwright-core/package.json" ]; then
  echo "trace-tools: up to date in $dir"
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dir/"
start=$(date +%s)
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
echo "$lock_sum" > "$stamp"
echo "trace-tools: npm packages installed in $dir in $(( $(date +%s) - start )) s" \
  "($(du -sh "$dir/node_modules" | cut -f1))"
