// The /volumes routes driven by the real docker CLI.
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventBus } from '../../../src/engine/events.js';
import { enginePaths } from '../../../src/engine/paths.js';
import { registerVolumeRoutes } from '../../../src/engine/api/volume-routes.js';
import { createVolumeService, type LocalVolumeService } from '../../../src/engine/volumes/index.js';
import { startApiServer, type ApiServer } from '../network/api-server.js';
import { silentLogger } from '../../../src/engine/log.js';

describe('/volumes through the docker CLI', () => {
  let dir: string;
  let api: ApiServer;
  let service: LocalVolumeService;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tscn-volapi-'));
    service = createVolumeService({ paths: enginePaths(path.join(dir, 'engine')), events: new EventBus(), log: silentLogger });
    api = await startApiServer(dir, (router) => registerVolumeRoutes(router, service));
  });

  after(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, inspects and lists a named volume with labels', async () => {
    const created = await api.docker('volume', 'create', '--label', 'com.docker.compose.project=demo', 'demo_data');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout.trim(), 'demo_data');
    const [v] = JSON.parse((await api.docker('volume', 'inspect', 'demo_data')).stdout);
    assert.equal(v.Driver, 'local');
    assert.equal(v.Mountpoint, path.join(dir, 'engine', 'volumes', 'demo_data', '_data'));
    assert.equal(v.Labels['com.docker.compose.project'], 'demo');
    const ls = await api.docker('volume', 'ls', '-q', '--filter', 'label=com.docker.compose.project=demo');
    assert.equal(ls.stdout.trim(), 'demo_data');
  });

  it('rejects invalid names and unsupported drivers', async () => {
    const bad = await api.docker('volume', 'create', 'bad/name');
    assert.match(bad.stderr, /includes invalid characters for a local volume name/);
    const driver = await api.docker('volume', 'create', '-d', 'nfs', 'x1');
    assert.match(driver.stderr, /not supported/);
  });

  it('answers 409 for a volume in use and removes it when free', async () => {
    await service.resolve('ctr-1', { Type: 'volume', Source: 'demo_data', Target: '/data' }, '');
    const busy = await api.docker('volume', 'rm', 'demo_data');
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, /volume is in use - \[ctr-1\]/);
    const dangling = await api.docker('volume', 'ls', '-q', '--filter', 'dangling=false');
    assert.equal(dangling.stdout.trim(), 'demo_data');
    await service.release('ctr-1', false);
    assert.equal((await api.docker('volume', 'rm', 'demo_data')).code, 0);
    assert.match((await api.docker('volume', 'inspect', 'demo_data')).stderr, /no such volume/i);
  });

  it('prunes only anonymous volumes with API >= 1.42 unless all=true, every unused one for older clients', async () => {
    await api.docker('volume', 'create', 'keep_me');
    const anon = await service.resolve('ctr-2', { Type: 'volume', Target: '/cache' }, '');
    await service.release('ctr-2', false); // removed without -v: the anonymous volume stays, dangling
    const anonName = path.basename(path.dirname(anon.source));
    const pruned = await prune(api.socket, '/v1.43/volumes/prune');
    assert.deepEqual(pruned.VolumesDeleted, [anonName]);
    const all = await prune(api.socket, `/v1.43/volumes/prune?filters=${encodeURIComponent('{"all":["true"]}')}`);
    assert.deepEqual(all.VolumesDeleted, ['keep_me']);
    await api.docker('volume', 'create', 'old_client');
    const cli = await api.docker('volume', 'prune', '-f'); // the 20.10 CLI speaks API 1.41 here
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /old_client/);
  });
});

function prune(socketPath: string, urlPath: string): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: urlPath, method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end();
  });
}
