// The /volumes, /images and /networks routes against fake subsystems: the routes need only the contracts'
// VolumeManagement, ImageManagement and NetworkManagement, turn Docker's request shapes into domain requests and the domain's
// records into Docker's JSON, and map domain error kinds to statuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  ImageManagement,
  ImageRemoval,
  NetworkCreateRequest,
  NetworkManagement,
  VolumeCreateRequest,
  VolumeManagement,
} from '../../../src/engine/contracts.js';
import { notFound } from '../../../src/engine/errors.js';
import type { VolumeRecord } from '../../../src/engine/volumes/store.js';
import { Router } from '../../../src/engine/api/router.js';
import { createApiServer } from '../../../src/engine/api/server.js';
import { registerVolumeRoutes } from '../../../src/engine/api/volume-routes.js';
import { registerImageRoutes } from '../../../src/engine/api/image-routes.js';
import { registerNetworkRoutes } from '../../../src/engine/api/network-routes.js';

async function serve(
  register: (router: Router) => void,
): Promise<{ request(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown }>; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-api-routes-'));
  const socketPath = path.join(dir, 'api.sock');
  const router = new Router();
  register(router);
  const server = createApiServer(router);
  await new Promise<void>((r) => server.listen(socketPath, () => r()));
  return {
    request: (method, url, body) =>
      new Promise((resolve, reject) => {
        const req = http.request({ socketPath, method, path: url, headers: { 'Content-Type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      }),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const unused = () => {
  throw new Error('not used by this test');
};

test("POST /volumes/create hands the volume subsystem a domain request and answers with Docker's volume shape", async () => {
  const asked: VolumeCreateRequest[] = [];
  const volumes: VolumeManagement = {
    async create(req) {
      asked.push(req);
      return {
        name: req.name!,
        driver: 'local',
        createdAt: '2026-01-01T00:00:00Z',
        labels: req.labels ?? {},
        options: req.options ?? {},
        anonymous: false,
      };
    },
    mountpoint: (v: VolumeRecord) => `/state/volumes/${v.name}/_data`,
    list: unused,
    get: unused,
    remove: unused,
    prune: unused,
    usage: unused,
    usageReport: unused,
  };
  const api = await serve((router) => registerVolumeRoutes(router, volumes));
  try {
    const res = await api.request('POST', '/v1.43/volumes/create', { Name: 'data', DriverOpts: null, Labels: { team: 'a' } });
    assert.deepEqual(asked, [{ name: 'data', driver: undefined, options: undefined, labels: { team: 'a' } }]);
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, {
      CreatedAt: '2026-01-01T00:00:00Z',
      Driver: 'local',
      Labels: { team: 'a' },
      Mountpoint: '/state/volumes/data/_data',
      Name: 'data',
      Options: null,
      Scope: 'local',
    });
  } finally {
    await api.close();
  }
});

test("DELETE and prune of /images report the domain's removals as Docker's Untagged/Deleted entries; not-found is 404", async () => {
  const removals: ImageRemoval[] = [{ untagged: 'web:latest' }, { deleted: `sha256:${'a'.repeat(64)}` }];
  const pruned: { all: boolean; labels: string[] }[] = [];
  const images: ImageManagement = {
    async removeImage(ref, force) {
      if (ref !== 'web') throw notFound(`No such image: ${ref}`);
      assert.equal(force, true);
      return removals;
    },
    async pruneImages(opts) {
      pruned.push(opts);
      return { removed: [], reclaimed: 0 };
    },
    images: unused,
    find: unused,
    layerDir: unused,
    load: unused,
    exportImages: unused,
    importImage: unused,
    pull: unused,
    push: unused,
    tag: unused,
  };
  const api = await serve((router) => registerImageRoutes(router, images));
  try {
    assert.deepEqual(await api.request('DELETE', '/images/web?force=1'), {
      status: 200,
      body: [{ Untagged: 'web:latest' }, { Deleted: `sha256:${'a'.repeat(64)}` }],
    });
    assert.deepEqual(await api.request('DELETE', '/images/nope'), { status: 404, body: { message: 'No such image: nope' } });
    const filters = encodeURIComponent(JSON.stringify({ dangling: ['false'], label: ['tier=web'] }));
    assert.deepEqual(await api.request('POST', `/images/prune?filters=${filters}`), {
      status: 200,
      body: { ImagesDeleted: null, SpaceReclaimed: 0 },
    });
    assert.deepEqual(pruned, [{ all: true, labels: ['tier=web'] }]);
  } finally {
    await api.close();
  }
});

test('POST /networks/create hands the network subsystem a domain request (camelCase, nulls as absent) and answers with the id', async () => {
  const asked: NetworkCreateRequest[] = [];
  const networks: NetworkManagement = {
    async createNetwork(req) {
      asked.push(req);
      return {
        id: 'n'.repeat(64),
        name: req.name,
        created: '2026-01-01T00:00:00Z',
        driver: 'bridge',
        builtin: false,
        internal: false,
        attachable: false,
        labels: {},
        options: {},
        ipamOptions: {},
      };
    },
    // no namesake: the answer carries no warning
    networks: async () => [],
    findNetwork: unused,
    removeNetwork: unused,
    prune: unused,
    endpointsOf: unused,
    containerName: unused,
  };
  const api = await serve((router) => registerNetworkRoutes(router, networks));
  try {
    const res = await api.request('POST', '/v1.43/networks/create', {
      Name: 'back',
      Driver: 'bridge',
      Internal: true,
      Attachable: false,
      EnableIPv6: false,
      CheckDuplicate: true,
      Labels: { tier: 'back' },
      Options: null,
      IPAM: {
        Driver: 'default',
        Options: { foo: 'bar' },
        Config: [{ Subnet: '10.9.0.0/24', IPRange: '10.9.0.128/25', Gateway: '10.9.0.1', AuxiliaryAddresses: { router: '10.9.0.5' } }],
      },
    });
    assert.deepEqual(res, { status: 201, body: { Id: 'n'.repeat(64), Warning: '' } });
    await api.request('POST', '/networks/create', { Name: 'plain', IPAM: null, Labels: null });
    assert.deepEqual(asked, [
      {
        name: 'back',
        driver: 'bridge',
        internal: true,
        attachable: false,
        enableIPv6: false,
        labels: { tier: 'back' },
        options: undefined,
        ipamOptions: { foo: 'bar' },
        checkDuplicate: true,
        ipamConfig: [{ subnet: '10.9.0.0/24', ipRange: '10.9.0.128/25', gateway: '10.9.0.1', auxiliaryAddresses: { router: '10.9.0.5' } }],
      },
      {
        name: 'plain',
        driver: undefined,
        internal: undefined,
        attachable: undefined,
        enableIPv6: undefined,
        labels: undefined,
        options: undefined,
        ipamOptions: undefined,
        checkDuplicate: undefined,
        ipamConfig: [],
      },
    ]);
  } finally {
    await api.close();
  }
});
