// Every key of the model through load, normalize and serialize, against a checked-in expectation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProject } from '../../../src/model/index.js';
import { serializeProject, toYaml } from '../../../src/model/serialize.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/model/kitchen-sink');

test('kitchen sink: every key is normalized and printed like docker compose config', async () => {
  const p = await loadProject({ cwd: dir, profiles: ['full'], environment: { API_KEY: 'k' } });
  const text = toYaml(serializeProject(p)).replaceAll(dir, '<DIR>');
  assert.equal(text, readFileSync(path.join(dir, 'expected.yaml'), 'utf8'));
});
