// The /networks routes driven by the real docker CLI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerNetworkRoutes } from '../../../src/engine/api/network-routes.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { createHarness, type Harness } from './harness.js';

describe('/networks through the docker CLI', () => {
  let h: Harness;
  let api: ApiServer;
  let name: string;
  let subnet: string;

  before(async () => {
    h = createHarness();
    const service = h.service();
    api = await startApiServer(h.root, (router) => registerNetworkRoutes(router, service));
    name = `${h.prefix}-cli`;
    subnet = `${h.subnet24()}.0/24`;
  });

  after(async () => {
    await api?.close();
    await h.cleanup();
  });

  it('creates a network with a subnet, gateway and labels, and inspects it', async () => {
    const gateway = subnet.replace('.0/24', '.254');
    const created = await api.docker(
      'network',
      'create',
      '--subnet',
      subnet,
      '--gateway',
      gateway,
      '--label',
      'com.docker.compose.project=demo',
      name,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout.trim(), /^[0-9a-f]{64}$/);
    const inspect = await api.docker('network', 'inspect', name);
    assert.equal(inspect.code, 0, inspect.stderr);
    const [net] = JSON.parse(inspect.stdout);
    assert.equal(net.Name, name);
    assert.equal(net.Driver, 'bridge');
    assert.deepEqual(net.IPAM.Config, [{ Subnet: subnet, Gateway: gateway }]);
    assert.equal(net.Labels['com.docker.compose.project'], 'demo');
  });

  it('lists it with the builtin networks and filters by label', async () => {
    const all = await api.docker('network', 'ls', '--format', '{{.Name}} {{.Driver}}');
    assert.equal(all.code, 0, all.stderr);
    for (const line of ['bridge bridge', 'host host', 'none null', `${name} bridge`])
      assert.ok(all.stdout.split('\n').includes(line), all.stdout);
    const filtered = await api.docker('network', 'ls', '-q', '--filter', 'label=com.docker.compose.project=demo');
    assert.equal(filtered.stdout.trim().split('\n').length, 1);
  });

  it('refuses a duplicate name, an overlapping subnet and removing a builtin network', async () => {
    const dup = await api.docker('network', 'create', name);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /network with name .* already exists/);
    const overlap = await api.docker('network', 'create', '--subnet', subnet, `${name}-2`);
    assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
    const builtin = await api.docker('network', 'rm', 'bridge');
    assert.match(builtin.stderr, /bridge is a pre-defined network and cannot be removed/);
  });

  it('prunes unused networks and removes by name', async () => {
    const other = `${h.prefix}-prune`;
    assert.equal((await api.docker('network', 'create', other)).code, 0);
    const pruned = await api.docker('network', 'prune', '-f', '--filter', 'label!=com.docker.compose.project');
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, new RegExp(other));
    assert.doesNotMatch(pruned.stdout, new RegExp(`${name}\\b`));
    assert.equal((await api.docker('network', 'rm', name)).code, 0);
    const gone = await api.docker('network', 'inspect', name);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /not found/i);
  });
});
