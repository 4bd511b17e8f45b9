// docker diff, export, commit and update from the real docker CLI, the same checks on the bundled engine
// and on Docker Engine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { availableTargets, type EngineTarget } from '../lifecycle/engines.js';
import { busyboxContext } from '../../helpers/busybox-image.js';

const IMAGE = 'tsc-test/dx-busybox:latest';
const targets: EngineTarget[] = [];

const host = (t: EngineTarget) => (t.name === 'bundled' ? `unix://${t.env.TSCOMPOSE_ENGINE_SOCKET}` : 'unix:///var/run/docker.sock');
async function docker(t: EngineTarget, args: string[], opts: { encoding?: 'buffer' } = {}) {
  try {
    const r = await promisify(execFile)('docker', ['-H', host(t), ...args], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      maxBuffer: 256 << 20,
      encoding: opts.encoding === 'buffer' ? 'buffer' : 'utf8',
    });
    return { code: 0, stdout: r.stdout as string | Buffer, stderr: String(r.stderr) };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

before(async () => {
  process.env.TSCOMPOSE_TEST_BUNDLED = '1';
  targets.push(...(await availableTargets()));
  const ctx = busyboxContext(['RUN mkdir -p /data /etc && echo original > /data/kept && echo bye > /data/gone', 'CMD ["sh"]']);
  try {
    for (const t of targets) {
      const r = await docker(t, ['build', '-q', '-t', IMAGE, ctx]);
      assert.equal(r.code, 0, r.stderr);
    }
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
});

after(async () => {
  for (const t of targets) await t.stop();
});

for (const name of ['bundled', 'docker'] as const) {
  const label = name === 'bundled' ? 'the bundled engine' : 'Docker Engine';
  test(`docker diff, export, commit and update on ${label}`, async (t) => {
    const target = targets.find((x) => x.name === name);
    if (!target) {
      t.skip(`${name} engine unavailable`);
      return;
    }
    const cname = `tsc-dx-${name}-${process.pid}`;
    const committed = `tsc-test/dx-committed-${name}:v1`;
    try {
      const run = await docker(target, [
        'run',
        '-d',
        '--name',
        cname,
        IMAGE,
        'sh',
        '-c',
        'echo new > /data/added; echo changed > /data/kept; rm /data/gone; sleep 300',
      ]);
      assert.equal(run.code, 0, run.stderr);
      await new Promise((r) => setTimeout(r, 700));

      // diff: the container's own changes, none of the runtime's mount points
      const diff = await docker(target, ['diff', cname]);
      assert.equal(diff.code, 0, diff.stderr);
      const lines = String(diff.stdout).trim().split('\n').sort();
      assert.deepEqual(lines, ['A /data/added', 'C /data', 'C /data/kept', 'D /data/gone'].sort());

      // export: the whole filesystem with the changes
      const exported = await docker(target, ['export', cname], { encoding: 'buffer' });
      assert.equal(exported.code, 0, exported.stderr);
      const tar = exported.stdout as Buffer;
      const names: string[] = [];
      for (let off = 0; off + 512 <= tar.length;) {
        const header = tar.subarray(off, off + 512);
        if (header.every((b) => b === 0)) break;
        names.push(header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, ''));
        const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
        off += 512 + Math.ceil(size / 512) * 512;
      }
      const clean = names.map((n) => n.replace(/^\.?\//, '').replace(/\/$/, ''));
      for (const want of ['bin/busybox', 'data/added', 'data/kept']) assert.ok(clean.includes(want), `export has ${want}`);
      assert.ok(!clean.includes('data/gone'), 'export lacks the deleted file');

      // commit with a change: the new image has the changes and the new CMD
      const commit = await docker(target, ['commit', '-c', 'CMD ["cat", "/data/kept", "/data/added"]', '-m', 'tsc test', cname, committed]);
      assert.equal(commit.code, 0, commit.stderr);
      const fromCommit = await docker(target, ['run', '--rm', committed]);
      assert.equal(fromCommit.code, 0, fromCommit.stderr);
      assert.equal(String(fromCommit.stdout), 'changed\nnew\n');
      const history = await docker(target, ['image', 'inspect', '--format', '{{.Comment}}', committed]);
      assert.equal(String(history.stdout).trim(), 'tsc test');
      const state = await docker(target, ['inspect', '--format', '{{.State.Running}} {{.State.Paused}}', cname]);
      assert.equal(String(state.stdout).trim(), 'true false', 'the container runs on, unpaused, after commit');

      // update: new limits on the running container, and its restart policy
      const update = await docker(target, [
        'update',
        '--memory',
        '64m',
        '--memory-swap',
        '128m',
        '--cpu-shares',
        '512',
        '--pids-limit',
        '50',
        '--restart',
        'on-failure:3',
        cname,
      ]);
      assert.equal(update.code, 0, update.stderr);
      const hc = await docker(target, [
        'inspect',
        '--format',
        '{{.HostConfig.Memory}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}',
        cname,
      ]);
      assert.equal(String(hc.stdout).trim(), `${64 << 20} 512 50 on-failure`);
      const limit = await docker(target, [
        'exec',
        cname,
        'sh',
        '-c',
        'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max',
      ]);
      assert.equal(String(limit.stdout).trim(), String(64 << 20), 'the new memory limit applies inside the running container');
      const tooSmall = await docker(target, ['update', '--memory', '1m', cname]);
      assert.notEqual(tooSmall.code, 0);
      assert.match(tooSmall.stderr, /Minimum memory limit allowed is 6MB/);
    } finally {
      await docker(target, ['rm', '-f', cname]);
      await docker(target, ['rmi', '-f', committed]);
    }
  });
}
