// Published ports keep the client's address, as Docker's DNAT does: a server in the container sees the
// address of a client in another namespace, or the host's own non-loopback address, while loopback clients
// go through the userland proxy (the container sees the gateway). The DNAT rules go with the container, and
// a restarted engine drops those of containers that did not survive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { attachDefaults, createHarness, inNamespace, type Harness } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';

const exec = promisify(execFile);

/** What a CGI behind busybox httpd sees as the client address (httpd listens on `::`: an IPv4 client is
 *  "[::ffff:a.b.c.d]"), fetched with retries while httpd starts. */
async function remoteAddr(fetcher: () => Promise<string>): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await fetcher()).trim().replace(/^\[(?:::ffff:)?(.*)\]$/, '$1');
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const natRules = async () => (await exec('iptables-save', ['-t', 'nat'])).stdout;

describe('client addresses of published ports', () => {
  let h: Harness;
  let service: BridgeNetworkService;
  let netName: string;
  let gateway: string;
  let www: string;

  before(async () => {
    h = createHarness();
    service = h.service();
    netName = `${h.prefix}-clients`;
    gateway = (await service.createNetwork({ name: netName, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] })).gateway!;
    www = path.join(h.root, 'www');
    mkdirSync(path.join(www, 'cgi-bin'), { recursive: true });
    writeFileSync(path.join(www, 'cgi-bin', 'ip'), '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n');
    chmodSync(path.join(www, 'cgi-bin', 'ip'), 0o755);
  });
  after(async () => {
    await h.cleanup();
  });

  async function publishedServer(id: string): Promise<{ port: string; ip: string }> {
    const pid = await h.namespace();
    const attachment = await service.attach({
      ...attachDefaults,
      containerId: id.repeat(64),
      containerName: `clients-${id}`,
      hostname: 'web',
      pid,
      mode: 'bridge',
      endpoints: [{ network: netName, aliases: [] }],
      portBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] },
    });
    h.serveHttp(pid, www);
    return { port: attachment.ports['80/tcp']![0]!.HostPort, ip: attachment.networks[netName]!.IPAddress };
  }

  it('shows the server the real client address for non-loopback clients, the gateway for loopback ones', async () => {
    const { port, ip } = await publishedServer('a');
    const outside = await h.outside();
    const hostSide = outside.address.replace(/\.2$/, '.1');
    await inNamespace(outside.pid, ['ip', 'route', 'add', 'default', 'via', hostSide]);

    const fromOutside = await remoteAddr(async () => {
      const r = await inNamespace(outside.pid, ['curl', '-sS', '-m', '3', `http://${hostSide}:${port}/cgi-bin/ip`]);
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout;
    });
    assert.equal(fromOutside, outside.address, 'a client in another namespace is seen with its own address');

    const fromHost = await remoteAddr(async () => (await fetch(`http://${hostSide}:${port}/cgi-bin/ip`)).text());
    assert.equal(fromHost, hostSide, "the host's non-loopback address is seen as itself");

    const fromLoopback = await remoteAddr(async () => (await fetch(`http://127.0.0.1:${port}/cgi-bin/ip`)).text());
    assert.equal(fromLoopback, gateway, 'loopback goes through the userland proxy, as with docker-proxy');

    assert.match(await natRules(), new RegExp(`--to-destination ${ip.replace(/\./g, '\\.')}:80`));
    await service.detach('a'.repeat(64));
    assert.doesNotMatch(
      await natRules(),
      new RegExp(`--to-destination ${ip.replace(/\./g, '\\.')}:80\\b`),
      'the rule goes with the container',
    );
  });

  it('drops the rules of containers that did not survive an engine restart', async () => {
    const { ip } = await publishedServer('b');
    assert.match(await natRules(), new RegExp(`--to-destination ${ip.replace(/\./g, '\\.')}:80`));
    // a new engine on the same state, no container running any more (the old one died without cleaning up)
    const restarted = h.service();
    await restarted.restore([]);
    assert.doesNotMatch(await natRules(), new RegExp(`--to-destination ${ip.replace(/\./g, '\\.')}:80\\b`));
    await restarted.teardown();
    const left = (await natRules()) + (await exec('iptables-save', ['-t', 'filter'])).stdout;
    assert.ok(
      !left.includes(h.prefix),
      `no chain or rule of this engine is left:\n${left
        .split('\n')
        .filter((l) => l.includes(h.prefix))
        .join('\n')}`,
    );
  });
});
