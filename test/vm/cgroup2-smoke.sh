#!/usr/bin/env bash
# The bundled engine on a pure cgroup v2 host: runs as root inside the guest of ../shared/cgroup2-vm.sh, from dist/
# (build on the host first). For each runtime given (default: the engine's own choice, runc, crun) it starts an
# engine with its own state root and checks, with the docker CLI: run and print; a memory limit and an OOM kill
# (137, OOMKilled from memory.events); cpu/cpuset/pids/memory limits in the container's cgroup files; a bridge
# network with the embedded DNS between two containers; a published port from the host side; stats; pause and
# unpause (cgroup.freeze); exec; stop and start; no mount or cgroup left behind. The engine's own choice (crun
# here) gets a short pass. Prints TAP-like "ok"/"not ok" lines; exits 1 on a failure.
#   test/vm/cgroup2-smoke.sh [auto|runc|crun ...]
set -u
cd "$(dirname "$0")/../.."
[ -f /sys/fs/cgroup/cgroup.controllers ] || { echo "not ok - not a pure cgroup v2 host"; exit 1; }
[ -f dist/cli/main.js ] || { echo "not ok - dist/ missing: npm run build on the host first"; exit 1; }
RUNTIMES=${*:-auto runc crun}
W=/tmp/tsc-cg2-smoke; mkdir -p $W
failed=0; n=0
ok() { n=$((n+1)); echo "ok $n - $RT: $1 ($(( $(date +%s) - T0 )) s)"; }
bad() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $RT: $1"; shift; for l in "$@"; do echo "#   $l"; done; }
# expect NAME EXPECTED ACTUAL
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected: $(printf %q "$2")" "actual:   $(printf %q "$3")"; fi; }
expect_match() { if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else bad "$1" "expected to match: $2" "actual: $(printf %q "$3")"; fi; }

# a busybox image from a rootfs tarball (docker import: no PATH in its config, as in Docker)
R=$W/rootfs; mkdir -p $R/bin $R/etc $R/tmp $R/www
cp /bin/busybox $R/bin/busybox
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > $R/etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > $R/etc/group
echo hi-from-web > $R/www/index.html
tar -C $R -cf $W/rootfs.tar .

# after the containers are removed: no mount, no cgroup left; the engine stops
finish() {
  expect "nothing stays mounted under the state root" "" "$(grep -c " $ROOT/containers/" /proc/self/mountinfo | grep -v '^0$')"
  expect "no container cgroup is left" "" "$(ls /sys/fs/cgroup/tscompose 2>/dev/null | grep -E '^[0-9a-f]{64}$')"
  kill $EPID; wait $EPID 2>/dev/null
  echo "# $RT: $(( $(date +%s) - T0 )) s"
}

OOM_SCRIPT='x=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef; while true; do x=$x$x; done'
for RT in $RUNTIMES; do
  T0=$(date +%s)
  ROOT=/var/lib/tscompose-cg/$RT; SOCK=/run/tscompose-cg/$RT.sock; mkdir -p /run/tscompose-cg
  # -k: an attached `docker run` passes SIGTERM on to its container and keeps waiting
  d() { timeout -k 10 120 docker -H "unix://$SOCK" "$@"; }
  if [ "$RT" = auto ]; then unset TSCOMPOSE_OCI_RUNTIME; else export TSCOMPOSE_OCI_RUNTIME=$RT; fi
  node dist/cli/main.js engine --root "$ROOT" --socket "$SOCK" > $W/engine-$RT.log 2>&1 &
  EPID=$!
  # wait for the socket, not with docker CLI calls: under emulation each costs seconds of the CPU the engine needs
  for _ in $(seq 600); do [ -S "$SOCK" ] && break; kill -0 $EPID 2>/dev/null || break; sleep 0.5; done
  info=""; for _ in 1 2 3 4 5; do info=$(d info -f '{{(index .Runtimes "runc").Path}} {{.CgroupVersion}}' 2>/dev/null) && break; sleep 1; done
  if [ -z "$info" ]; then bad "the engine starts" "$(tail -5 $W/engine-$RT.log)"; continue; fi
  case $RT in auto) expect_match "the engine picks crun on pure cgroup v2; docker info says cgroup v2" 'crun 2$' "$info";;
    *) expect "the runtime asked for; docker info says cgroup v2" "$RT 2" "$info";; esac

  d import $W/rootfs.tar smoke/bb >/dev/null
  out=$(d run --rm smoke/bb sh -c 'echo hello; echo "$PATH"; cat /proc/self/cgroup' 2>&1)
  expect "a container runs and prints (default PATH, own cgroup namespace)" "hello
/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
0::/" "$out"

  d run --name oom -m 16m --memory-swap 16m smoke/bb sh -c "$OOM_SCRIPT" >/dev/null 2>&1
  expect "memory limit: OOM kill gives 137 and OOMKilled" "137 true" "$(d inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' oom)"
  # the engine's own choice is crun here, which gets the whole pass below: the choice, a run and an OOM kill suffice
  if [ "$RT" = auto ]; then d rm -f oom >/dev/null; finish; continue; fi
  d run --name killed -m 64m smoke/bb sh -c 'sleep 60 & kill -9 $!; wait $!' >/dev/null 2>&1
  expect "exit code 137 without an OOM kill is not OOMKilled" "137 false" "$(d inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' killed)"

  out=$(d run --rm --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 --pids-limit 50 -m 64m --memory-swap 96m smoke/bb \
    sh -c 'cd /sys/fs/cgroup; echo $(cat cpu.max) $(cat cpu.weight) $(cat cpuset.cpus) $(cat pids.max) $(cat memory.max) $(cat memory.swap.max)' 2>&1)
  expect "cpus, cpu-shares, cpuset, pids, memory and swap limits in the container's cgroup" "50000 100000 20 0 50 67108864 33554432" "$out"
  # a limit that leaves room for runc's own init (a Go program: its threads count while it sets the container up)
  out=$(d run --rm --cpu-quota 20000 --cpu-period 50000 --pids-limit 20 smoke/bb sh -c 'cat /sys/fs/cgroup/cpu.max; for i in $(seq 30); do sleep 1 & done; wait' 2>&1)
  expect "cpu quota and period" "20000 50000" "$(printf '%s\n' "$out" | head -1)"
  expect_match "the pids limit refuses forks" "can't fork|Resource temporarily unavailable" "$out"
  # one that does not (runc init dies of it; crun starts): either way nothing of the --rm container stays
  d run --rm --name tiny --pids-limit 1 smoke/bb true >/dev/null 2>&1
  expect "a --rm container is gone whether or not it could start" "" "$(d ps -aq -f name=tiny)"

  d network create smokenet >/dev/null
  d run -d --name web --network smokenet -p 18080:8080 smoke/bb httpd -f -p 8080 -h /www >/dev/null
  out=$(d run --rm --network smokenet smoke/bb sh -c 'for i in $(seq 20); do timeout 10 wget -qO- http://web:8080/ && exit 0; sleep 0.5; done; nslookup web' 2>&1)
  expect "bridge network: a container reaches another by name (embedded DNS)" "hi-from-web" "$out"
  out=""; for _ in $(seq 20); do out=$(timeout 10 busybox wget -qO- http://127.0.0.1:18080/ 2>&1) && break; sleep 0.5; done
  expect "a published port answers on the host side" "hi-from-web" "$out"
  expect_match "stats report memory usage" '^[0-9.]+[kKMG]i?B / ' "$(d stats --no-stream --format '{{.MemUsage}}' web 2>&1)"
  ID=$(d inspect -f '{{.Id}}' web)
  d pause web >/dev/null
  expect "pause freezes the cgroup" "paused 1" "$(d inspect -f '{{.State.Status}}' web) $(cat /sys/fs/cgroup/tscompose/$ID/ctr/cgroup.freeze 2>&1)"
  d unpause web >/dev/null
  out=$(timeout 10 busybox wget -qO- http://127.0.0.1:18080/ 2>&1)
  expect "unpause thaws it" "running 0 hi-from-web" "$(d inspect -f '{{.State.Status}}' web) $(cat /sys/fs/cgroup/tscompose/$ID/ctr/cgroup.freeze 2>&1) $out"
  out=$(d exec web sh -c 'echo in-exec; exit 3' 2>&1); code=$?
  expect "exec runs in the container with its exit code" "in-exec 3" "$out $code"
  d stop -t 1 web >/dev/null
  d start web >/dev/null
  out=""; for _ in $(seq 20); do out=$(timeout 10 busybox wget -qO- http://127.0.0.1:18080/ 2>&1) && break; sleep 0.5; done
  expect "a stopped container starts again" "hi-from-web" "$out"

  d rm -f web oom killed >/dev/null; d network rm smokenet >/dev/null
  finish
done
echo "# $failed of $n failed"
[ $failed -eq 0 ]
