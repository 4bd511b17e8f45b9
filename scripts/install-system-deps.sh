#!/usr/bin/env bash
# System packages the bundled engine and the test suites use, all from Debian.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(runc crun busybox-static iptables iproute2 docker.io docker-registry attr skopeo apache2-utils zstd docker-compose python3-docker)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
