#!/bin/sh
# Makes a Debian root filesystem tar with debootstrap (minbase plus the given packages, so images
# built on it need no `RUN apt-get`), from the Debian mirror apt is configured with. The tar is
# made once: an existing OUTPUT is kept, and a second caller waits for the first (a lock next to
# OUTPUT), so it can be started early in the background. Needs root; installs debootstrap if missing.
# Used by samples/webapp/prepare.sh, its end-to-end test and bench/big-image.ts.
# Usage: debian-rootfs.sh [--slim] OUTPUT.tar PACKAGE[,PACKAGE...] [SUITE]   (SUITE: bookworm)
#   --slim leaves out documentation, manual pages and message translations (as Debian's slim images)
set -eu
slim=false
[ "${1:-}" = --slim ] && { slim=true; shift; }
out=$1 packages=$2 suite=${3:-bookworm}
[ -s "$out" ] && exit 0

# The mirror: the first http(s) URI of the one-line (`deb URI …`) or deb822 (`URIs: …`) sources
# that is not a security archive, one ending in /debian first; deb.debian.org when there is none.
uris=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | sed -n -E 's/^[[:space:]]*(deb[[:space:]]+(\[[^]]*\][[:space:]]+)?|URIs:[[:space:]]*)(https?:[^[:space:]]+).*/\3/p' \
  | grep -v security || true)
mirror=$(printf '%s\n' "$uris" | grep -m1 '/debian/\?$' || printf '%s\n' "$uris" | head -n1)
mirror=${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "debian-rootfs: installing debootstrap" >&2
  apt-get install -y -qq --no-install-recommends debootstrap >&2 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >&2; }
fi
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
[ -s "$out" ] && exit 0
dir=$(mktemp -d "$out.rootfs.XXXXXX")
chmod 755 "$dir" # it becomes the image's / (mktemp makes it 700)
trap 'rm -rf "$dir" "$out.tmp"' EXIT
trap 'exit 1' INT TERM
echo "debian-rootfs: debootstrap --variant=minbase $suite (+$packages) from $mirror" >&2
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$mirror" > "$dir.log" 2>&1; then
  tail -20 "$dir.log" >&2
  rm -f "$dir.log"
  exit 1
fi
rm -f "$dir.log"
# package lists and downloaded .debs are not part of an image
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
if $slim; then
  rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/*
  # and packages installed later in the image leave them out too
  printf 'path-exclude=%s\n' '/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' '/usr/share/locale/*' > "$dir/etc/dpkg/dpkg.cfg.d/slim"
fi
tar -C "$dir" --numeric-owner --xattrs -cf "$out.tmp" .
mv "$out.tmp" "$out"
