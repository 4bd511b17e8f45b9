// Published ports: a container's HTTP server answers on the host, UDP is relayed, and a taken host port
// is a clear error that leaves nothing half set up.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHarness, inNamespace, type Harness } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';
import { statusOf } from '../../../src/engine/api/http.js';

const attachDefaults = { extraHosts: [], dns: [], dnsSearch: [], dnsOptions: [], publishAll: false, exposedPorts: [] as string[] };

async function fetchText(url: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (await fetch(url)).text();
    } catch (err) {
      if (attempt >= 20) throw err; // httpd may still be starting
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('published ports', () => {
  let h: Harness;
  let service: BridgeNetworkService;
  let netName: string;

  before(async () => {
    h = createHarness();
    service = h.service();
    netName = `${h.prefix}-ports`;
    await service.createNetwork({ name: netName, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
  });
  after(async () => {
    await h.cleanup();
  });

  it('forwards a random host port on 127.0.0.1 to the container HTTP server and reports it', async () => {
    const pid = await h.namespace();
    const www = path.join(h.root, 'www');
    mkdirSync(www, { recursive: true });
    writeFileSync(path.join(www, 'index.html'), 'published\n');
    const attachment = await service.attach({
      ...attachDefaults,
      containerId: '1'.repeat(64),
      containerName: 'ports-web',
      hostname: 'web',
      pid,
      mode: 'bridge',
      endpoints: [{ network: netName, aliases: [] }],
      exposedPorts: ['80/tcp', '443/tcp'],
      portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
    });
    const binding = attachment.ports['80/tcp']?.[0];
    assert.ok(binding && Number(binding.HostPort) > 0, JSON.stringify(attachment.ports));
    assert.equal(binding.HostIp, '127.0.0.1');
    assert.equal(attachment.ports['443/tcp'], null);
    h.serveHttp(pid, www);
    assert.equal(await fetchText(`http://127.0.0.1:${binding.HostPort}/index.html`), 'published\n');
  });

  it('publishes on every address, IPv4 and IPv6, when no host address is given', async () => {
    const pid = await h.namespace();
    const www = path.join(h.root, 'www-any');
    mkdirSync(www, { recursive: true });
    writeFileSync(path.join(www, 'index.html'), 'any address\n');
    const attachment = await service.attach({
      ...attachDefaults,
      containerId: '0'.repeat(64),
      containerName: 'ports-any',
      hostname: 'any',
      pid,
      mode: 'bridge',
      endpoints: [{ network: netName, aliases: [] }],
      portBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] },
    });
    const binding = attachment.ports['80/tcp']![0]!;
    // one dual-stack listener, reported as Docker reports it: both families' bindings
    assert.deepEqual(attachment.ports['80/tcp'], [binding, { HostIp: '::', HostPort: binding.HostPort }]);
    assert.equal(binding.HostIp, '0.0.0.0');
    h.serveHttp(pid, www);
    assert.equal(await fetchText(`http://127.0.0.1:${binding.HostPort}/index.html`), 'any address\n');
    assert.equal(await fetchText(`http://[::1]:${binding.HostPort}/index.html`), 'any address\n');
    // a second container asking for the same port on every address is refused
    const other = await h.namespace();
    await assert.rejects(
      service.attach({
        ...attachDefaults,
        containerId: '9'.repeat(64),
        containerName: 'ports-any-2',
        hostname: 'any2',
        pid: other,
        mode: 'bridge',
        endpoints: [{ network: netName, aliases: [] }],
        portBindings: { '80/tcp': [{ HostIp: '', HostPort: binding.HostPort }] },
      }),
      new RegExp(`Bind for 0\\.0\\.0\\.0:${binding.HostPort} failed: port is already allocated`),
    );
  });

  it('relays UDP datagrams both ways', async () => {
    const pid = await h.namespace();
    const echo = spawn(
      'nsenter',
      [
        `--net=/proc/${pid}/ns/net`,
        process.execPath,
        '-e',
        "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(Buffer.concat([Buffer.from('echo:'),m]),r.port,r.address));s.bind(7777,()=>console.log('ready'))",
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      await new Promise((r) => echo.stdout!.once('data', r));
      const attachment = await service.attach({
        ...attachDefaults,
        containerId: '2'.repeat(64),
        containerName: 'ports-udp',
        hostname: 'udp',
        pid,
        mode: 'bridge',
        endpoints: [{ network: netName, aliases: [] }],
        portBindings: {
          '7777/udp': [
            { HostIp: '127.0.0.1', HostPort: '' },
            { HostIp: '', HostPort: '' },
          ],
        },
      });
      const ask = async (port: number, host: string) => {
        const client = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
        try {
          return await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no UDP reply from ${host}:${port}`)), 5000);
            client.on('message', (m) => {
              clearTimeout(timer);
              resolve(m.toString());
            });
            client.send('ping', port, host);
          });
        } finally {
          client.close();
        }
      };
      assert.equal(await ask(Number(attachment.ports['7777/udp']![0]!.HostPort), '127.0.0.1'), 'echo:ping');
      // every address: one dual-stack socket, both families' bindings, relaying IPv4 and IPv6 clients alike
      const [, any4, any6] = attachment.ports['7777/udp']!;
      assert.deepEqual([any4?.HostIp, any6?.HostIp, any4?.HostPort], ['0.0.0.0', '::', any6?.HostPort]);
      assert.equal(await ask(Number(any4!.HostPort), '127.0.0.1'), 'echo:ping');
      assert.equal(await ask(Number(any4!.HostPort), '::1'), 'echo:ping');
    } finally {
      echo.kill('SIGKILL');
    }
  });

  it('fails with "port is already allocated" for a taken host port and rolls everything back', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const pid = await h.namespace();
      const netId = (await service.findNetwork(netName))!.id;
      const before = service.endpointsOf(netId).length;
      await assert.rejects(
        service.attach({
          ...attachDefaults,
          containerId: '3'.repeat(64),
          containerName: 'ports-clash',
          hostname: 'clash',
          pid,
          mode: 'bridge',
          endpoints: [{ network: netName, aliases: [] }],
          portBindings: {
            '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
            '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(taken) }],
          },
        }),
        (err: Error) => {
          assert.match(err.message, new RegExp(`Bind for 127\\.0\\.0\\.1:${taken} failed: port is already allocated`));
          assert.equal(statusOf(err), 500);
          return true;
        },
      );
      assert.equal(service.endpointsOf(netId).length, before);
      assert.equal(await service.attachmentOf('3'.repeat(64)), undefined);
      const links = await inNamespace(pid, ['ip', '-br', 'link']);
      assert.doesNotMatch(links.stdout, /eth0/);
    } finally {
      blocker.close();
    }
  });

  it('rejects a malformed port binding as a bad request', async () => {
    const pid = await h.namespace();
    await assert.rejects(
      service.attach({
        ...attachDefaults,
        containerId: '4'.repeat(64),
        containerName: 'bad',
        hostname: 'bad',
        pid,
        mode: 'bridge',
        endpoints: [{ network: netName, aliases: [] }],
        portBindings: { '80/tcp': [{ HostIp: '', HostPort: 'eighty' }] },
      }),
      (err: Error) => statusOf(err) === 400 && /invalid host port "eighty"/.test(err.message),
    );
  });
});
