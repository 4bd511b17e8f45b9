// The step network layer: which attachment a build's network mode asks for, and that every run is
// detached again, also when it fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkService, OneShotRunner } from '../../../src/engine/contracts.js';
import { stepNetworkMode, withStepNetworks } from '../../../src/engine/runtime/step-network.js';
import { isEngineError } from '../../../src/engine/errors.js';

type AttachOpts = Parameters<NetworkService['attach']>[0];

function fakeNetworks(known: string[] = []) {
  const attached: AttachOpts[] = [];
  const detached: string[] = [];
  const service: NetworkService = {
    async attach(o) {
      attached.push(o);
      return {
        networks: {},
        ports: {},
        hosts: `hosts of ${o.hostname}\n`,
        resolvConf: 'nameserver 192.0.2.53\n',
        netnsPath: o.mode === 'bridge' ? `/run/netns/x-${o.containerId.slice(0, 4)}` : undefined,
      };
    },
    async detach(id) {
      detached.push(id);
    },
    async restore() {},
    async findNetwork(ref) {
      return known.includes(ref) ? { id: `id-${ref}`, name: ref } : undefined;
    },
  };
  return { service, attached, detached };
}

const runOpts = { lowerDirs: [], upperDir: '/nowhere', args: ['true'], env: [] };

test('network modes: default/bridge/empty = the default bridge, host, none, a named network; container: refused', () => {
  for (const m of [undefined, '', 'default', 'bridge']) assert.deepEqual(stepNetworkMode(m), { mode: 'bridge' });
  assert.deepEqual(stepNetworkMode('host'), { mode: 'host' });
  assert.deepEqual(stepNetworkMode('none'), { mode: 'none' });
  assert.deepEqual(stepNetworkMode('mynet'), { mode: 'bridge', network: 'mynet' });
  assert.throws(
    () => stepNetworkMode('container:abc'),
    (e) => isEngineError(e, 'invalid'),
  );
});

test('a default run is attached to the default bridge, gets its namespace and files, and is detached', async () => {
  const nets = fakeNetworks();
  let seen: Parameters<OneShotRunner['runOneShot']>[0] | undefined;
  const runner = withStepNetworks(
    {
      async runOneShot(o) {
        seen = o;
        return { exitCode: 0 };
      },
    },
    nets.service,
  );
  const id = 'ab'.repeat(32);
  await runner.runOneShot({ ...runOpts, id, extraHosts: ['a:10.0.0.1'] });
  assert.equal(nets.attached.length, 1);
  const a = nets.attached[0]!;
  assert.equal(a.mode, 'bridge');
  assert.deepEqual(a.endpoints, []);
  assert.deepEqual(a.extraHosts, ['a:10.0.0.1']);
  assert.equal(a.hostname, id.slice(0, 12));
  assert.deepEqual(seen?.sandbox, {
    host: false,
    netnsPath: '/run/netns/x-abab',
    hostname: id.slice(0, 12),
    hosts: `hosts of ${id.slice(0, 12)}\n`,
    resolvConf: 'nameserver 192.0.2.53\n',
  });
  assert.deepEqual(nets.detached, [id]);
});

test('host and named networks; a failing run is detached too', async () => {
  const nets = fakeNetworks(['mynet']);
  const runner = withStepNetworks(
    {
      async runOneShot(o) {
        if (o.network === 'mynet') throw new Error('boom');
        return { exitCode: 0 };
      },
    },
    nets.service,
  );
  await runner.runOneShot({ ...runOpts, network: 'host' });
  assert.equal(nets.attached[0]!.mode, 'host');
  await assert.rejects(runner.runOneShot({ ...runOpts, network: 'mynet' }), /boom/);
  assert.deepEqual(nets.attached[1]!.endpoints, [{ network: 'mynet', aliases: [] }]);
  assert.equal(nets.detached.length, 2);
});

test('checkNetwork: unknown networks are 404, host/none/default pass', async () => {
  const runner = withStepNetworks(
    {
      async runOneShot() {
        return { exitCode: 0 };
      },
    },
    fakeNetworks(['mynet']).service,
  );
  for (const ok of ['default', 'bridge', 'host', 'none', 'mynet']) await runner.checkNetwork!(ok);
  await assert.rejects(
    runner.checkNetwork!('nosuch'),
    (e: Error) => isEngineError(e, 'not-found') && /network nosuch not found/.test(e.message),
  );
});
