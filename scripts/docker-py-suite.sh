#!/usr/bin/env bash
# docker-py's own integration suite against Docker Engine and the bundled engine, side by side: the selection of
# issue #18 (containers, exec, images, build, networks, volumes, healthchecks, the models layer; swarm, plugins,
# registry login and Docker Hub pulls left out). Not part of CI, and none of docker-py's code is ever copied into the
# repository: the suite comes either from an existing source tree outside it (DOCKER_PY_SRC, a directory holding
# docker-py's tests/ tree) or from Debian's source package of python3-docker, fetched into a temporary directory.
#
#   [DOCKER_PY_SRC=DIR] scripts/docker-py-suite.sh [docker|bundled|both]   (default: both; root, after `npm run build`)
#
# The bundled engine runs with TSCOMPOSE_STATE_ROOT / TSCOMPOSE_ENGINE_SOCKET when they are set (so that it does not
# collide with other engines on the machine), in the temporary directory otherwise. Set PYTEST_ARGS to pass more
# arguments to pytest (e.g. PYTEST_ARGS="-k test_kill"). Prints one "ENGINE: N passed, N failed, N skipped" line per
# engine and each failing test; pytest's logs stay in $WORK (printed).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
WHICH="${1:-both}"
WORK="$(mktemp -d /tmp/docker-py-suite.XXXXXX)"
echo "work directory: $WORK"

# --- the test suite: DOCKER_PY_SRC, or Debian's source package of python3-docker (a deb-src entry if none)
need_packages() { # installs the Debian packages whose Python module is missing, and those named
  local missing=()
  /usr/bin/python3 -c 'import docker' 2>/dev/null || missing+=(python3-docker)
  /usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
  /usr/bin/python3 -c 'import six' 2>/dev/null || missing+=(python3-six)
  /usr/bin/python3 -c 'import paramiko' 2>/dev/null || missing+=(python3-paramiko)
  [ "${#missing[@]}" -eq 0 ] && [ "$#" -eq 0 ] && return 0
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" "$@" >/dev/null
}
if [ -n "${DOCKER_PY_SRC:-}" ]; then
  need_packages
  SRC="$(cd "$DOCKER_PY_SRC" && pwd)"
else
  if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat > /etc/apt/sources.list.d/tscompose-deb-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  need_packages dpkg-dev
  (cd "$WORK" && apt-get source -qq python-docker)
  SRC="$(find "$WORK" -maxdepth 1 -type d -name 'python-docker-*' | head -1)"
fi
[ -d "$SRC/tests/integration" ] || { echo "no tests/integration in $SRC" >&2; exit 1; }

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
  # shellcheck disable=SC2086 # PYTEST_ARGS is split into arguments on purpose
  (cd "$SRC" && DOCKER_HOST="$2" timeout 3600 /usr/bin/python3 -m pytest -p no:cacheprovider -q -rfE \
    -k "$(echo $DESELECT)" ${PYTEST_ARGS:-} "${paths[@]}" >"$log" 2>&1) || true
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
  ROOT="${TSCOMPOSE_STATE_ROOT:-$WORK/engine}"
  SOCK="${TSCOMPOSE_ENGINE_SOCKET:-$WORK/engine.sock}"
  mkdir -p "$ROOT"
  node "$REPO/dist/cli/main.js" engine --root "$ROOT" --socket "$SOCK" >"$WORK/engine.log" 2>&1 &
  ENGINE_PID=$!
  # SIGTERM, then wait for the engine to finish its shutdown so that nothing it started outlives the script
  trap 'kill "$ENGINE_PID" 2>/dev/null && wait "$ENGINE_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 60); do curl -sf --unix-socket "$SOCK" http://x/_ping >/dev/null && break; sleep 0.5; done
  run_suite bundled "unix://$SOCK"
  kill -0 "$ENGINE_PID" 2>/dev/null || echo "the bundled engine exited during the suite (see $WORK/engine.log)" >&2
fi
