// Debian's python3-docker (docker-py), a client nobody here wrote, drives the bundled engine and Docker Engine
// through the same checks (docker_py_checks.py): containers, exec framing and exit codes, attach/exec detach
// keys, networks, volumes, build, save/load. Each check is its own subtest, so a difference between the two
// engines shows by name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { bundledTarget, dockerTarget, type EngineTarget } from '../lifecycle/engines.js';

const SCRIPT = path.join(import.meta.dirname, 'docker_py_checks.py');
const hasDockerPy = spawnSync('python3', ['-c', 'import docker'], { encoding: 'utf8' }).status === 0;
const skip = !hasDockerPy && 'python3-docker is not installed (apt-get install python3-docker)';

let context: string;
const targets: EngineTarget[] = [];

before(async () => {
  if (!hasDockerPy) return;
  // /etc/group with a named group for group_add, as Debian's has (audio is gid 29)
  context = busyboxContext([
    'RUN echo "root:x:0:" > /etc/group && echo "audio:x:29:" >> /etc/group && echo "root:x:0:0:root:/root:/bin/sh" > /etc/passwd',
  ]);
  process.env.TSCOMPOSE_TEST_BUNDLED = '1';
  const bundled = await bundledTarget();
  if (bundled) targets.push(bundled);
  const docker = await dockerTarget();
  if (docker) targets.push(docker);
});

after(async () => {
  for (const t of targets) await t.stop();
  if (context) rmSync(context, { recursive: true, force: true });
});

for (const name of ['bundled', 'docker'] as const) {
  test(`docker-py checks on ${name === 'bundled' ? 'the bundled engine' : 'Docker Engine'}`, { skip, timeout: 600_000 }, async (t) => {
    const target = targets.find((x) => x.name === name);
    if (!target) {
      t.skip(`${name} engine unavailable`);
      return;
    }
    const host = name === 'bundled' ? `unix://${target.env.TSCOMPOSE_ENGINE_SOCKET}` : 'unix:///var/run/docker.sock';
    let out: string;
    try {
      ({ stdout: out } = await promisify(execFile)('python3', [SCRIPT, context, `tscdpy${name}`], {
        env: { ...process.env, DOCKER_HOST: host },
        timeout: 540_000,
        maxBuffer: 16 * 1024 * 1024,
      }));
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      out = e.stdout ?? '';
      assert.fail(`the script failed:\n${out}\n${e.stderr ?? ''}`);
    }
    const lines = out.split('\n').filter((l) => /^(PASS|FAIL) /.test(l));
    assert.ok(lines.length > 20, out);
    for (const line of lines) {
      const [, verdict, rest] = /^(PASS|FAIL) (.*)$/.exec(line)!;
      const checkName = verdict === 'PASS' ? rest! : rest!.slice(0, rest!.indexOf(': '));
      await t.test(checkName, () => {
        if (verdict === 'FAIL') assert.fail(rest);
      });
    }
    assert.match(out, /^DONE$/m, 'the script ran to the end');
  });
}
