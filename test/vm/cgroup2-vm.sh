#!/usr/bin/env bash
# (The project machines' /work/shared/cgroup2-vm.sh, kept in the repository so that CI runs test/vm with it.)
# Runs a command as root inside a throwaway Debian 12 guest (QEMU, software emulation) whose only cgroup
# hierarchy is cgroup v2 with every controller, i.e. the layout of current Ubuntu/Debian/Fedora hosts, which this
# machine (cgroup v1 hybrid, memory controller held by v1) cannot be switched to.
#   cgroup2-vm.sh [--mem MB] [--timeout S] -- COMMAND [ARGS...]
# The guest sees this machine's whole filesystem read-only through 9p under a tmpfs overlay (writes vanish at
# exit), with its own kernel modules; cwd is kept. Output comes back on stdout; the exit code is the command's.
# /tmp, /run, /var/lib, /var/cache, /var/tmp and /var/log start empty in the guest: keep scripts elsewhere.
# Slow: expect ~10-50x native CPU cost (no KVM here); keep the guest's work small (smoke tests, not suites).
# Needs: qemu-system-x86, cpio, kmod, busybox-static (apt), and the Debian kernel package (fetched with apt-get download).
set -euo pipefail
MEM=3072; TIMEOUT=900
while [ $# -gt 0 ]; do case $1 in --mem) MEM=$2; shift 2;; --timeout) TIMEOUT=$2; shift 2;; --) shift; break;; *) break;; esac; done
[ $# -gt 0 ] || { echo "usage: $0 [--mem MB] [--timeout S] -- COMMAND..." >&2; exit 2; }
CACHE=${CGROUP2_VM_CACHE:-/var/cache/tscompose-cgroup2-vm}
mkdir -p "$CACHE"
need() { command -v "$1" >/dev/null || { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }; }
need qemu-system-x86_64 qemu-system-x86; need cpio cpio; need depmod kmod; [ -x /bin/busybox ] || need busybox busybox-static
if [ ! -f "$CACHE/vmlinuz" ]; then
  kpkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
  [ -n "$(kpkg)" ] || apt-get update -qq >/dev/null 2>&1
  (cd "$CACHE" && rm -rf kern linux-image-*.deb && mkdir kern && apt-get download -q "$(kpkg)" >/dev/null 2>&1 \
    && dpkg-deb -x linux-image-*.deb kern && rm -f linux-image-*.deb) || { echo "cgroup2-vm: cannot fetch the Debian kernel package" >&2; exit 1; }
  KV=$(ls "$CACHE/kern/lib/modules"); depmod -b "$CACHE/kern" "$KV"
  cp "$CACHE/kern/boot/vmlinuz-$KV" "$CACHE/vmlinuz.tmp" && mv "$CACHE/vmlinuz.tmp" "$CACHE/vmlinuz"
fi
KV=$(ls "$CACHE/kern/lib/modules"); M="$CACHE/kern/lib/modules/$KV"
if [ ! -f "$CACHE/initrd.gz" ]; then
  R=$(mktemp -d); mkdir -p "$R"/{bin,proc,sys,dev,mnt/lower,mnt/upper,mnt/mods,newroot,mods}; cp /bin/busybox "$R/bin/"
  # the modules for virtio-pci, 9p over virtio and overlayfs, dependencies first (from modules.dep)
  order() { local m=$1; grep -qx "$m" "$R/mods/seen" 2>/dev/null && return; local d
    for d in $(sed -n "s|^$m: *||p" "$M/modules.dep"); do order "$d"; done
    cp "$M/$m" "$R/mods/"; basename "$m" >> "$R/mods/order"; echo "$m" >> "$R/mods/seen"; }
  for m in kernel/drivers/virtio/virtio_pci.ko kernel/net/9p/9pnet_virtio.ko kernel/fs/9p/9p.ko kernel/fs/overlayfs/overlay.ko; do order "$m"; done
  cat > "$R/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod /mods/$m; done
o=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o ro,$o hostroot /mnt/lower && mount -t tmpfs -o size=80% tmpfs /mnt/upper && mkdir -p /mnt/upper/u /mnt/upper/w \
  && mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/upper/u,workdir=/mnt/upper/w,xino=off,index=off,metacopy=off /newroot \
  || { echo "GUEST: cannot mount the host root"; poweroff -f; }
mkdir -p /newroot/lib/modules && mount -t 9p -o ro,$o kmods /newroot/lib/modules
for d in proc sys dev; do mount --move /$d /newroot/$d; done
exec switch_root /newroot /bin/sh -c '
  mount -t cgroup2 none /sys/fs/cgroup; echo "+cpuset +cpu +io +memory +pids" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
  mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm
  for d in /run /tmp /var/lib /var/cache /var/tmp /var/log; do mount -t tmpfs tmpfs $d; done
  ip link set lo up; hostname cgroup2-vm
  cmd=$(sed -n "s/.*vmcmd=\([^ ]*\).*/\1/p" /proc/cmdline | base64 -d)
  cd "$(sed -n "s/.*vmcwd=\([^ ]*\).*/\1/p" /proc/cmdline | base64 -d)" 2>/dev/null || cd /
  echo "==CGROUP2-VM-START=="; sh -c "$cmd"; rc=$?; echo "==CGROUP2-VM-EXIT $rc=="; sync; /bin/busybox poweroff -f'
INIT
  chmod +x "$R/init"; (cd "$R" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$CACHE/initrd.gz"; rm -rf "$R"
fi
CMD=$(printf '%q ' "$@" | base64 -w0); CWD=$(pwd | base64 -w0)
LOG=${CGROUP2_VM_LOG:-$(mktemp)}
timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp "$(nproc)" -m "$MEM" -nographic -no-reboot \
  -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.gz" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on \
  -virtfs local,path="$CACHE/kern/lib/modules",mount_tag=kmods,security_model=passthrough,readonly=on \
  -append "console=ttyS0 quiet loglevel=1 panic=-1 vmcmd=$CMD vmcwd=$CWD" >"$LOG" 2>&1 || true
tr -d '\r' < "$LOG" | sed -n '/==CGROUP2-VM-START==/,/==CGROUP2-VM-EXIT/p' | sed '1d;$d'
rc=$(tr -d '\r' < "$LOG" | sed -n 's/.*==CGROUP2-VM-EXIT \([0-9]*\)==.*/\1/p' | tail -1)
[ -n "$rc" ] || { echo "cgroup2-vm: the guest did not finish (timeout or boot failure); last lines:" >&2; tail -5 "$LOG" | tr -d '\r' >&2; [ -n "${CGROUP2_VM_LOG:-}" ] || rm -f "$LOG"; exit 124; }
[ -n "${CGROUP2_VM_LOG:-}" ] || rm -f "$LOG"; exit "$rc"
