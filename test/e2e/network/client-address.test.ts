// A server in a container sees the real client address on a published port, on each engine (Docker DNATs
// with iptables and keeps docker-proxy for loopback): a client in another namespace is seen as itself, the
// host's non-loopback address as itself, a loopback client as the bridge gateway. The rules go with the
// container, and none of the bundled engine's are left once it stops.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { availableTargets, type EngineTarget } from '../lifecycle/engines.js';
import { docker, eventually, hostRules, mustDocker, outsideNamespace, sh } from './cli.js';

const IMAGE = 'tsc-test/n6-client-address:latest';
const CGI = '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n';
const targets: EngineTarget[] = [];
/** the bundled engine's networks, whose chains must all be gone once it stops */
const bundledNetworkIds: string[] = [];

before(async () => {
  process.env.TSCOMPOSE_TEST_BUNDLED = '1';
  targets.push(...(await availableTargets()));
  const ctx = busyboxContext(['COPY ip /www/cgi-bin/ip', 'RUN chmod 755 /www/cgi-bin/ip'], { ip: CGI });
  try {
    for (const t of targets) await mustDocker(t, ['build', '-q', '-t', IMAGE, ctx]);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
});

after(async () => {
  for (const t of targets) await t.stop();
  const left = (await hostRules()).split('\n').filter((l) => bundledNetworkIds.some((id) => l.includes(id.slice(0, 12))));
  assert.deepEqual(left, [], 'the stopped bundled engine left none of its chains or rules');
});

/** httpd listens on `::`: an IPv4 client shows as "[::ffff:a.b.c.d]". */
const plainAddress = (text: string) => text.trim().replace(/^\[(?:::ffff:)?(.*)\]$/, '$1');

for (const name of ['bundled', 'docker'] as const) {
  test(
    `a published port shows the server the real client address on ${name === 'bundled' ? 'the bundled engine' : 'Docker Engine'}`,
    { timeout: 180_000 },
    async (t) => {
      const target = targets.find((x) => x.name === name);
      if (!target) {
        t.skip(`${name} engine unavailable`);
        return;
      }
      const cname = `n6-clients-${name}-${process.pid}`;
      const outside = await outsideNamespace(name.slice(0, 1));
      try {
        await mustDocker(target, ['run', '-d', '--name', cname, '-p', '80', IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www']);
        const bindings = await mustDocker(target, ['port', cname, '80/tcp']);
        const port = /:(\d+)$/m.exec(bindings)![1]!;
        // a port on every address is both families' (one dual-stack listener on the bundled engine)
        assert.deepEqual(bindings.split('\n'), [`0.0.0.0:${port}`, `[::]:${port}`]);
        const [gateway, ip, networkId] = (
          await mustDocker(target, [
            'inspect',
            '-f',
            '{{range .NetworkSettings.Networks}}{{.Gateway}} {{.IPAddress}} {{.NetworkID}}{{end}}',
            cname,
          ])
        ).split(' ');
        if (name === 'bundled') bundledNetworkIds.push(networkId!);
        const url = (host: string) => `http://${host}:${port}/cgi-bin/ip`;
        const fetchFrom = async (args: string[]) => {
          const r = await (args[0] === 'outside' ? outside.run(args.slice(1)) : sh(args.slice(1).join(' ')));
          if (r.code !== 0 || !r.stdout.trim()) throw new Error(`curl: ${r.stderr}`);
          return plainAddress(r.stdout);
        };

        const fromOutside = await eventually(() => fetchFrom(['outside', 'curl', '-sS', '-m', '3', url(outside.hostSide)]));
        assert.equal(fromOutside, outside.address, 'a client in another namespace is seen with its own address');
        const fromHost = await eventually(() => fetchFrom(['host', 'curl', '-sS', '-m', '3', url(outside.hostSide)]));
        assert.equal(fromHost, outside.hostSide, "the host's non-loopback address is seen as itself");
        const fromLoopback = await eventually(() => fetchFrom(['host', 'curl', '-sS', '-m', '3', url('127.0.0.1')]));
        assert.equal(fromLoopback, gateway, 'a loopback client comes through the userland proxy, from the gateway');

        const dnat = new RegExp(`--to-destination ${ip!.replace(/\./g, '\\.')}:80\\b`);
        assert.match(await hostRules(), dnat);
        await mustDocker(target, ['rm', '-f', cname]);
        assert.doesNotMatch(await hostRules(), dnat, 'the DNAT rule goes with the container');
      } finally {
        await docker(target, ['rm', '-f', cname]);
        await outside.remove();
      }
    },
  );
}
