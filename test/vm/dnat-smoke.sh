#!/usr/bin/env bash
# Published ports DNATed with iptables on a pure cgroup v2 guest (../shared/cgroup2-vm.sh), from dist/: which
# iptables backend the guest has, that a server in a container sees the address of a client in another network
# namespace (not the gateway), that a loopback client goes through the userland proxy, and that no rule of the
# engine is left once the container is removed and the engine stopped. Prints "ok"/"not ok" lines; exits 1 on
# a failure.   ../shared/cgroup2-vm.sh -- bash test/vm/dnat-smoke.sh
set -u
cd "$(dirname "$0")/../.."
[ -f dist/cli/main.js ] || { echo "not ok - dist/ missing: npm run build on the host first"; exit 1; }
W=/tmp/tsc-dnat-smoke; mkdir -p $W; failed=0; n=0
ok() { n=$((n+1)); echo "ok $n - $1"; }
bad() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected: $(printf %q "$2")" "actual:   $(printf %q "$3")"; fi; }

echo "# iptables: $(iptables -V 2>&1) ($(readlink -f "$(command -v iptables)"))"
echo "# legacy tables in use: $(iptables-legacy-save 2>/dev/null | grep -c '^\*') , nft: $(iptables-nft-save 2>/dev/null | grep -c '^\*')"

R=$W/rootfs; mkdir -p $R/bin $R/www/cgi-bin
cp /bin/busybox $R/bin/busybox
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%%s\\n" "$REMOTE_ADDR"\n' > $R/www/cgi-bin/ip; chmod 755 $R/www/cgi-bin/ip
tar -C $R -cf $W/rootfs.tar .

ROOT=/var/lib/tsc-dnat; SOCK=/run/tsc-dnat.sock
d() { timeout -k 10 120 docker -H "unix://$SOCK" "$@"; }
node dist/cli/main.js engine --root "$ROOT" --socket "$SOCK" > $W/engine.log 2>&1 &
EPID=$!
for _ in $(seq 600); do [ -S "$SOCK" ] && break; kill -0 $EPID 2>/dev/null || break; sleep 0.5; done
d import $W/rootfs.tar dnat/bb >/dev/null || { bad "the engine starts" "$(tail -5 $W/engine.log)"; exit 1; }
d run -d --name web -p 18081:80 dnat/bb httpd -f -p 80 -h /www >/dev/null
GW=$(d inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' web)
NET=$(d inspect -f '{{range .NetworkSettings.Networks}}{{.NetworkID}}{{end}}' web | cut -c1-12)

ip netns add dnatc && ip link add dnatv type veth peer name eth0 netns dnatc && ip addr add 198.18.9.1/30 dev dnatv && ip link set dnatv up \
  && ip -n dnatc addr add 198.18.9.2/30 dev eth0 && ip -n dnatc link set eth0 up && ip -n dnatc route add default via 198.18.9.1
strip() { sed -e 's/^\[::ffff://' -e 's/^\[//' -e 's/\]$//'; }
out=""; for _ in $(seq 20); do out=$(nsenter --net=/run/netns/dnatc timeout 10 busybox wget -qO- http://198.18.9.1:18081/cgi-bin/ip 2>&1 | strip) && [ -n "$out" ] && break; sleep 0.5; done
expect "a client in another namespace is seen with its own address (DNAT)" "198.18.9.2" "$out"
out=$(timeout 10 busybox wget -qO- http://127.0.0.1:18081/cgi-bin/ip 2>&1 | strip)
expect "a loopback client comes through the userland proxy (the gateway)" "$GW" "$out"
d rm -f web >/dev/null
expect "the DNAT rule goes with the container" "0" "$(iptables-save -t nat | grep -c 'to-destination.*:80$')"
kill $EPID; wait $EPID 2>/dev/null
expect "no chain or rule of the engine's network is left once it stops" "0" "$( (iptables-save; ip6tables-save) | grep -c "$NET")"
ip link del dnatv 2>/dev/null; ip netns del dnatc 2>/dev/null
echo "# $n checks, $failed failed"
[ $failed = 0 ]
