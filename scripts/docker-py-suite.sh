#!/usr/bin/env bash
# docker-py's own integration suite (Debian's python-docker source) against Docker Engine and the bundled engine,
# side by side: the selection of issue #18 (containers, exec, images, build, networks, volumes, healthchecks, the
# models layer; swarm, plugins, registry login and Docker Hub pulls left out). Not part of CI: it fetches the
# Debian source package into a temporary directory and never copies any of it into the repository.
#
#   scripts/docker-py-suite.sh [docker|bundled|both]        (default: both; run as root, after `npm run build`)
#
# Prints one "ENGINE: N passed, N failed, N skipped" line per engine; pytest's logs stay in $WORK (printed).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
WHICH="${1:-both}"
WORK="$(mktemp -d /tmp/docker-py-suite.XXXXXX)"
echo "work directory: $WORK"

# --- the test suite: Debian's source package of python3-docker (a deb-src entry for the Debian mirror if none)
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > /etc/apt/sources.list.d/tscompose-deb-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-docker python3-pytest python3-six dpkg-dev >/dev/null
(cd "$WORK" && apt-get source -qq python-docker)
SRC="$(find "$WORK" -maxdepth 1 -type d -name 'python-docker-*' | head -1)"
[ -d "$SRC/tests/integration" ] || { echo "no tests/integration in the python-docker source" >&2; exit 1; }

# --- the images the suite names, built from Debian's static busybox (no registry)
CTX="$WORK/image"
mkdir -p "$CTX"
cp /bin/busybox "$CTX/busybox"
cat > "$CTX/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /etc /tmp /root /var && chmod 1777 /tmp && echo "root:x:0:" > /etc/group && echo "root:x:0:0:root:/root:/bin/sh" > /etc/passwd
CMD ["sh"]
EOF
TAGS=(busybox:buildroot-2014.02 busybox:latest alpine:3.10 alpine:latest)

prepare_images() { # $1: DOCKER_HOST
  DOCKER_BUILDKIT=0 docker -H "$1" build -q -t "${TAGS[0]}" "$CTX" >/dev/null
  for t in "${TAGS[@]:1}"; do docker -H "$1" tag "${TAGS[0]}" "$t"; done
}

# needs the internet, a registry, swarm, plugins or experimental features: out of the selection
DESELECT='not pull and not swarm and not Swarm and not plugin and not login and not test_get_load_image and not test_prune_images
  and not inspect_distribution and not test_build_streaming and not test_import_from_url and not attachable and not ingress
  and not squash and not invalid_platform and not test_run_with_image_that_does_not_exist'
FILES=(api_container_test.py api_exec_test.py api_image_test.py api_build_test.py api_network_test.py api_volume_test.py
  api_healthcheck_test.py models_containers_test.py models_images_test.py models_networks_test.py models_volumes_test.py)

run_suite() { # $1: engine name, $2: DOCKER_HOST
  prepare_images "$2"
  local log="$WORK/$1.log" paths=()
  for f in "${FILES[@]}"; do [ -f "$SRC/tests/integration/$f" ] && paths+=("tests/integration/$f"); done
  (cd "$SRC" && DOCKER_HOST="$2" timeout 3600 /usr/bin/python3 -m pytest -p no:cacheprovider -q -rfE -k "$(echo $DESELECT)" "${paths[@]}" >"$log" 2>&1) || true
  echo "$1: $(grep -Eo '[0-9]+ (passed|failed|skipped|error|errors|xfailed|xpassed|deselected)' "$log" | paste -sd, -)"
  grep -E '^(FAILED|ERROR) ' "$log" | sed "s/^/  $1 /" || true
}

if [ "$WHICH" = docker ] || [ "$WHICH" = both ]; then
  if ! docker -H unix:///var/run/docker.sock info >/dev/null 2>&1; then
    (setsid dockerd >>/var/log/dockerd.log 2>&1 &)
    for _ in $(seq 60); do docker -H unix:///var/run/docker.sock info >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  run_suite docker unix:///var/run/docker.sock
fi

if [ "$WHICH" = bundled ] || [ "$WHICH" = both ]; then
  ROOT="$WORK/engine"
  mkdir -p "$ROOT"
  node "$REPO/dist/cli/main.js" engine --root "$ROOT" --socket "$ROOT/engine.sock" >"$WORK/engine.log" 2>&1 &
  ENGINE_PID=$!
  trap 'kill "$ENGINE_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 60); do curl -sf --unix-socket "$ROOT/engine.sock" http://x/_ping >/dev/null && break; sleep 0.5; done
  run_suite bundled "unix://$ROOT/engine.sock"
  kill -0 "$ENGINE_PID" 2>/dev/null || echo "the bundled engine exited during the suite (see $WORK/engine.log)" >&2
fi
