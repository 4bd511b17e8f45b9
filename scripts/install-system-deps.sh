#!/usr/bin/env bash
# What the bundled engine needs at run time, all from Debian: an OCI runtime (runc; crun is preferred on pure cgroup v2
# hosts), iptables and iproute2 for networks, attr (getfattr/setfattr for overlay whiteouts), tini (tini-static, the init
# of HostConfig.Init when Docker's docker-init is not installed), and a static busybox for
# the samples' images. `bash scripts/install-system-deps.sh --tests` adds what the test suites use.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(runc crun busybox-static iptables iproute2 attr tini)
if [ "${1:-}" = "--tests" ]; then
  # Docker Engine and a registry (the peers the suites compare with), skopeo and htpasswd for registry tests, zstd
  # layers, docker-compose v1 and its python3-docker (clients nobody here wrote), gcc for a static test helper, and
  # qemu-system-x86, cpio, kmod for the pure cgroup v2 guest of test/vm (its kernel comes from apt-get download), and
  # debootstrap for the Debian image of samples/webapp's end-to-end test
  pkgs+=(docker.io docker-registry skopeo apache2-utils zstd docker-compose python3-docker gcc libc6-dev qemu-system-x86 cpio kmod debootstrap)
fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
