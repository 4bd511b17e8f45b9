// A container.json written by an engine before the typed records (version 1: Docker's inspect document) is read
// as a current record, and what the API shows for it is what the old engine showed. The fixture is a real file
// that engine wrote (a stopped container with a healthcheck, a volume, a user network and a published port),
// with the inspect answer the old engine gave for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  CONTAINER_RECORD_VERSION,
  migrateContainerRecord,
  UnreadableRecordError,
} from '../../../src/engine/containers/record-migration.js';
import { inspectView } from '../../../src/engine/containers/inspect.js';
import { containerLayout } from '../../../src/engine/containers/layout.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/engine/${name}`, import.meta.url), 'utf8'));
const v1 = fixture('container-record-v1.json');
const oldInspect = fixture('container-record-v1.inspect.json');

test('a version 1 record becomes a current one, and inspect shows what the old engine showed', () => {
  const { record, migrated } = migrateContainerRecord(v1);
  assert.equal(migrated, true);
  assert.equal(record.version, CONTAINER_RECORD_VERSION);
  assert.equal(record.id, v1.Id);
  assert.equal(record.state.health?.status, 'healthy');
  assert.equal(record.state.health?.log.length, 2);
  assert.equal(record.runtimePid, v1.SupervisorPid);
  assert.deepEqual(record.layerDirs, v1.LayerDirs);
  assert.deepEqual(record.endpointsConfig, v1.NetworkingConfig.EndpointsConfig);

  const view = inspectView(record, containerLayout('/nonexistent'), []) as Record<string, any>;
  for (const key of ['Id', 'Name', 'Created', 'Path', 'Args', 'State', 'Image', 'RestartCount', 'HostConfig', 'Mounts', 'Config']) {
    assert.deepEqual(view[key], oldInspect[key], key);
  }
  assert.deepEqual(view.NetworkSettings.Networks, oldInspect.Networks);
  // no key of the old document is left behind in the new one
  assert.deepEqual(
    Object.keys(record).filter((k) => /^[A-Z]/.test(k)),
    [],
  );
});

test('a current record is taken as it is; a round trip through JSON changes nothing', () => {
  const { record } = migrateContainerRecord(v1);
  const again = migrateContainerRecord(JSON.parse(JSON.stringify(record)));
  assert.equal(again.migrated, false);
  assert.deepEqual(again.record, record);
});

test('documents that are no record of a known version are refused, not guessed at', () => {
  assert.throws(() => migrateContainerRecord('text'), UnreadableRecordError);
  assert.throws(() => migrateContainerRecord({ Id: 'x' }), UnreadableRecordError);
  assert.throws(
    () => migrateContainerRecord({ ...migrateContainerRecord(v1).record, version: CONTAINER_RECORD_VERSION + 1 }),
    /newer than this engine/,
  );
});
