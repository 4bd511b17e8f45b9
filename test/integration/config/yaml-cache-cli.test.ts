// The YAML cache seen from the bundled CLI: a second `config` of the same file, answered from the cache, prints
// the same output, and the same error at the same file:line:column, as the first, which read the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const STACK = `services:
  web:
    image: nginx:\${TAG:-1}
    ports: ["80:80"]
    healthcheck:
      test: |
        curl -f http://localhost
`;

test('the CLI gives the same config and the same error positions from the cache as from the file', () => {
  const cli = path.resolve(import.meta.dirname, '../../../dist/cli/main.js');
  const dir = fs.mkdtempSync(path.join(os.homedir(), '.tsc-cache-test-'));
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-cache-cli-'));
  try {
    const env = { ...process.env, TSCOMPOSE_CACHE_DIR: dir };
    const run = (file: string) =>
      spawnSync(process.execPath, [cli, '-f', path.join(project, file), 'config'], { env, encoding: 'utf8', cwd: project });
    fs.writeFileSync(path.join(project, 'good.yaml'), STACK);
    fs.writeFileSync(path.join(project, 'bad.yaml'), 'services:\n  web:\n    image: nginx\n    ports:\n      - target: eighty\n');
    for (const file of ['good.yaml', 'bad.yaml']) {
      const first = run(file);
      assert.equal(fs.readdirSync(path.join(dir, 'yaml')).filter((n) => n.endsWith('.json')).length > 0, true, 'an entry was written');
      const again = run(file);
      assert.equal(again.status, first.status, file);
      assert.equal(again.stdout, first.stdout, file);
      assert.equal(again.stderr, first.stderr, file);
    }
    assert.match(run('bad.yaml').stderr, /bad\.yaml:5:\d+/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
  }
});
