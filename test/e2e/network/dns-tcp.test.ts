// An answer over 512 bytes through the embedded DNS, on each engine: the container's upstream (`--dns`) is a
// resolver run by this test that answers a TXT query in full over TCP only (over UDP: TC, no records). A
// container's TCP query gets the whole answer; a classic 512-byte UDP query is told it is truncated.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { largeAnswerRecords, largeAnswerUpstream, queryFromNamespace, type LargeAnswerUpstream } from '../../helpers/dns-large-answers.js';
import { availableTargets, type EngineTarget } from '../lifecycle/engines.js';
import { docker, mustDocker, sh } from './cli.js';

const IMAGE = 'tsc-test/n6-busybox:latest';
const targets: EngineTarget[] = [];
// the upstream listens on port 53 (what `--dns` means) of an address of its own, on a veth pair of its own
// (no dummy driver in this kernel)
const DUMMY = `n6dns${process.pid}`.slice(0, 15);
const UPSTREAM = `198.19.${1 + (process.pid % 250)}.53`;
let upstream: LargeAnswerUpstream | undefined;

before(async () => {
  process.env.TSCOMPOSE_TEST_BUNDLED = '1';
  targets.push(...(await availableTargets()));
  const ctx = busyboxContext();
  try {
    for (const t of targets) await mustDocker(t, ['build', '-q', '-t', IMAGE, ctx]);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  const r = await sh(
    `ip link add ${DUMMY} type veth peer name ${DUMMY}p && ip addr add ${UPSTREAM}/32 dev ${DUMMY} && ip link set ${DUMMY}p up && ip link set ${DUMMY} up`,
  );
  assert.equal(r.code, 0, r.stderr);
  upstream = await largeAnswerUpstream(UPSTREAM, 53);
});

after(async () => {
  await upstream?.close();
  await sh(`ip link del ${DUMMY}`);
  for (const t of targets) await t.stop();
});

for (const name of ['bundled', 'docker'] as const) {
  test(
    `a DNS answer over 512 bytes reaches a container over TCP on ${name === 'bundled' ? 'the bundled engine' : 'Docker Engine'}`,
    { timeout: 180_000 },
    async (t) => {
      const target = targets.find((x) => x.name === name);
      if (!target) {
        t.skip(`${name} engine unavailable`);
        return;
      }
      const network = `n6-dns-${name}-${process.pid}`;
      const cname = `n6-dns-${name}-${process.pid}`;
      try {
        await mustDocker(target, ['network', 'create', network]);
        await mustDocker(target, ['run', '-d', '--name', cname, '--network', network, '--dns', UPSTREAM, IMAGE, 'sleep', '300']);
        const pid = await mustDocker(target, ['inspect', '-f', '{{.State.Pid}}', cname]);
        const nameserver = /^nameserver\s+(\S+)/m.exec(await mustDocker(target, ['exec', cname, 'cat', '/etc/resolv.conf']))![1]!;
        const netns = `/proc/${pid}/ns/net`;

        const tcpBefore = upstream!.queries.tcp;
        const overTcp = await queryFromNamespace(netns, nameserver, 'big.n6.test', 'tcp');
        assert.deepEqual(overTcp, { truncated: false, records: largeAnswerRecords() }, 'the whole answer over TCP');
        assert.ok(upstream!.queries.tcp > tcpBefore, 'the upstream was asked over TCP');

        const overUdp = await queryFromNamespace(netns, nameserver, 'big.n6.test', 'udp', 0);
        assert.equal(overUdp.truncated, true, 'a 512-byte UDP client is told to ask again over TCP');
        assert.deepEqual(overUdp.records, []);
      } finally {
        await docker(target, ['rm', '-f', cname]);
        await docker(target, ['network', 'rm', network]);
      }
    },
  );
}
