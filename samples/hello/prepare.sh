#!/bin/sh
# Puts a static busybox into the build context: a binary can't live in the repository, and
# busybox-static (Debian/Ubuntu: apt-get install busybox-static) is everything the images need.
# Usage: prepare.sh [BUILD_CONTEXT]   (default: this sample's image/ folder)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
context=${1:-$here/image}
src=${BUSYBOX:-/bin/busybox}
if ! "$src" --help 2>&1 | head -1 | grep -q BusyBox; then
  echo "prepare.sh: $src is not busybox; install busybox-static or set BUSYBOX=/path/to/static/busybox" >&2
  exit 1
fi
if ldd "$src" >/dev/null 2>&1; then
  echo "prepare.sh: $src is dynamically linked; a FROM scratch image needs a static busybox (busybox-static)" >&2
  exit 1
fi
cp "$src" "$context/busybox"
chmod 755 "$context/busybox"
[ $# -gt 0 ] || echo "samples/hello is ready: tscompose -f $here/compose.yaml up -d"
