#!/bin/sh
# Makes the Debian image compose.debian.yaml builds on and loads it into the engine: debootstrap
# (minbase + postgresql, redis-server, nodejs, wget) from the Debian mirror apt is configured with,
# once (~3 min; the tar is kept in $WEBAPP_CACHE, default /var/cache/tscompose-samples), then an
# import as tscompose-samples/webapp-debian:bookworm. Needs root (debootstrap).
# Usage: prepare.sh [--engine bundled|docker]   (default: the engine tscompose picks: docker when
#        DOCKER_HOST or TSCOMPOSE_ENGINE=docker is set, otherwise the bundled engine, started if need be)
#        prepare.sh --rootfs-only   (only the tar, e.g. started early in the background)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
image=${WEBAPP_BASE_IMAGE:-tscompose-samples/webapp-debian:bookworm}
packages=postgresql,redis-server,nodejs,wget
cache=${WEBAPP_CACHE:-/var/cache/tscompose-samples}
rootfs=$cache/webapp-bookworm-$(printf '%s slim' "$packages" | cksum | cut -d' ' -f1).tar

engine=${TSCOMPOSE_ENGINE:-}
case ${1:-} in
  --engine) engine=${2:?--engine needs bundled or docker} ;;
  --rootfs-only) exec sh "$repo/scripts/debian-rootfs.sh" --slim "$rootfs" "$packages" ;;
esac
[ -n "$engine" ] || { [ -n "${DOCKER_HOST:-}" ] && engine=docker || engine=bundled; }

sh "$repo/scripts/debian-rootfs.sh" --slim "$rootfs" "$packages"
case $engine in
  docker)
    socket=${DOCKER_HOST:-unix:///var/run/docker.sock}
    socket=${socket#unix://} ;;
  bundled)
    socket=${TSCOMPOSE_ENGINE_SOCKET:-/run/tscompose/engine.sock}
    # any tscompose command starts the bundled engine when it is not running
    if command -v tscompose >/dev/null 2>&1; then tscompose --engine bundled ls >/dev/null
    else node "$repo/dist/cli/main.js" --engine bundled ls >/dev/null; fi ;;
  *) echo "prepare.sh: unknown engine $engine (bundled or docker)" >&2; exit 2 ;;
esac
node "$here/import-image.mjs" "$rootfs" "$image" "$socket"
echo "samples/webapp is ready: tscompose -f $here/compose.yaml -f $here/compose.debian.yaml up --build --wait"
