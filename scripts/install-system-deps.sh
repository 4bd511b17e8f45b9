#!/usr/bin/env bash
# System packages the bundled engine and the test suites use, all from Debian.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# qemu-system-x86, cpio, kmod: the pure cgroup v2 guest of test/vm (its kernel comes from apt-get download)
pkgs=(runc crun busybox-static iptables iproute2 docker.io docker-registry attr skopeo apache2-utils zstd docker-compose gcc libc6-dev qemu-system-x86 cpio kmod)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
