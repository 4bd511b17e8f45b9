// An IPv6 network from a compose file (enable_ipv6, an IPv6 ipam subnet, ipv6_address), on each engine:
// inspect shows it, the embedded DNS answers AAAA, containers talk over IPv6, and a published port answers
// an IPv6 client outside the host. Nothing of the bundled engine's is left in ip6tables once it stops.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { availableTargets, type EngineTarget } from '../lifecycle/engines.js';
import { Stack } from '../lifecycle/stack.js';
import { eventually, hostRules, ipv6Unavailable, mustDocker, outsideNamespace } from './cli.js';

const CGI = '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n';
const targets: EngineTarget[] = [];
const bundledNetworkIds: string[] = [];
let context: string;
let unavailable: string | undefined;

before(async () => {
  unavailable = await ipv6Unavailable();
  process.env.TSCOMPOSE_TEST_BUNDLED = '1';
  targets.push(...(await availableTargets()));
  context = busyboxContext(['COPY ip /www/cgi-bin/ip', 'RUN chmod 755 /www/cgi-bin/ip'], { ip: CGI });
});

after(async () => {
  for (const t of targets) await t.stop();
  rmSync(context, { recursive: true, force: true });
  const left = (await hostRules()).split('\n').filter((l) => bundledNetworkIds.some((id) => l.includes(id.slice(0, 12))));
  assert.deepEqual(left, [], 'the stopped bundled engine left none of its chains or rules');
});

/** httpd listens on `::`: "[fd00::2]", or "[::ffff:a.b.c.d]" for an IPv4 client. */
const plainAddress = (text: string) => text.trim().replace(/^\[(?:::ffff:)?(.*)\]$/, '$1');

const compose = (prefix: string) => `
services:
  web:
    build: ${context}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    ports: ["80"]
    networks:
      v6:
        ipv6_address: ${prefix}::10
  client:
    build: ${context}
    command: ["sleep", "300"]
    networks: [v6]
networks:
  v6:
    enable_ipv6: true
    ipam:
      config:
        - subnet: ${prefix}::/64
`;

for (const name of ['bundled', 'docker'] as const) {
  test(
    `an IPv6 network with DNS and a published port on ${name === 'bundled' ? 'the bundled engine' : 'Docker Engine'}`,
    { timeout: 240_000 },
    async (t) => {
      const target = targets.find((x) => x.name === name);
      if (!target) return t.skip(`${name} engine unavailable`);
      if (unavailable) return t.skip(unavailable);
      const prefix = `fd6e:${(process.pid % 0xffff).toString(16)}:${name === 'bundled' ? 'b' : 'd'}`;
      const stack = new Stack(target, compose(prefix));
      const outside = await outsideNamespace(`6${name.slice(0, 1)}`, true);
      try {
        const up = await stack.cli(['up', '-d']);
        assert.equal(up.code, 0, up.stderr);
        const ids = await stack.idsByName();
        const web = Object.entries(ids).find(([n]) => n.includes('web'))![1];
        const client = Object.entries(ids).find(([n]) => n.includes('client'))![1];
        const network = `${stack.project}_v6`;

        const netInfo = JSON.parse(await mustDocker(target, ['network', 'inspect', network]))[0];
        if (name === 'bundled') bundledNetworkIds.push(netInfo.Id);
        assert.equal(netInfo.EnableIPv6, true);
        assert.ok(
          netInfo.IPAM.Config.some((c: { Subnet: string }) => c.Subnet === `${prefix}::/64`),
          JSON.stringify(netInfo.IPAM.Config),
        );
        const endpoint = (id: string) =>
          mustDocker(target, ['inspect', '-f', `{{json (index .NetworkSettings.Networks "${network}")}}`, id]).then(JSON.parse);
        const webEp = await endpoint(web);
        assert.equal(webEp.GlobalIPv6Address, `${prefix}::10`, 'ipv6_address is honoured');
        assert.equal(webEp.GlobalIPv6PrefixLen, 64);
        assert.equal(webEp.IPv6Gateway, `${prefix}::1`);
        const clientEp = await endpoint(client);
        assert.ok(clientEp.GlobalIPv6Address.startsWith(`${prefix}::`), clientEp.GlobalIPv6Address);

        // the embedded DNS answers AAAA with the service's IPv6 address
        const aaaa = await mustDocker(target, ['exec', client, 'nslookup', '-type=AAAA', 'web']);
        assert.match(aaaa, new RegExp(`Address:\\s+${prefix}::10\\b`));

        // container to container over IPv6: the server sees the client's IPv6 address
        const overV6 = await eventually(() => mustDocker(target, ['exec', client, 'wget', '-qO-', `http://[${prefix}::10]:80/cgi-bin/ip`]));
        assert.equal(plainAddress(overV6), clientEp.GlobalIPv6Address);

        // the published port answers an IPv6 client outside the host
        const port = /:(\d+)$/m.exec(await mustDocker(target, ['port', web, '80/tcp']))![1]!;
        const seen = await eventually(async () => {
          const r = await outside.run(['curl', '-sS', '-g', '-m', '3', `http://[${outside.hostSide6}]:${port}/cgi-bin/ip`]);
          if (r.code !== 0 || !r.stdout.trim()) throw new Error(`curl: ${r.stderr}`);
          return plainAddress(r.stdout);
        });
        if (name === 'bundled') assert.equal(seen, outside.address6, 'DNAT over ip6tables keeps the IPv6 client address');
        // Docker Engine 20.10 (installed here) has ip6tables off by default (experimental): its docker-proxy
        // relays IPv6 clients, and which host address the container then sees (the network's IPv6 gateway, the
        // host side of the client's link) depends on the host's routes: only that it answered over IPv6 is Docker's
        else assert.match(seen, /:/, `an IPv6 address (${seen})`);
      } finally {
        await stack.cleanup();
        await outside.remove();
      }
    },
  );
}
