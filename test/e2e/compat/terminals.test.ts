// Terminals as a person uses them: `docker run -it`, `docker exec -it`, `tscompose run` and `tscompose exec`
// on a real pty whose window is resized while a program in the container waits; the program reads its
// terminal's size (`stty size`) on SIGWINCH. The same checks on the bundled engine and on Docker Engine:
// the client sends the new size (POST …/resize), the engine sets it on the container's or the exec's
// terminal, the output comes back as the raw stream of a terminal, and detach keys leave the container
// running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { availableTargets, CLI, type EngineTarget } from '../lifecycle/engines.js';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { PtySession } from '../../helpers/pty-session.js';

const IMAGE = 'tsc-test/pty-busybox:latest';
const targets: EngineTarget[] = [];

const host = (t: EngineTarget) => (t.name === 'bundled' ? `unix://${t.env.TSCOMPOSE_ENGINE_SOCKET}` : 'unix:///var/run/docker.sock');
async function docker(t: EngineTarget, args: string[]) {
  try {
    const r = await promisify(execFile)('docker', ['-H', host(t), ...args], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// Prints its terminal's size on each SIGWINCH (the trap runs between two sleeps), and exits 3 once
// /stop-<tag> exists.
const watcher = (tag: string) => [
  'sh',
  '-c',
  `trap 'echo "${tag}=$(stty size)"' WINCH; echo ${tag}-ready; while [ ! -e /stop-${tag} ]; do sleep 0.1; done; exit 3`,
];

/** A multiplexed stream's frame header (stream 1, 2 or 3, three zero bytes): never on a terminal's stream. */
const FRAME_HEADER = /[\x01\x02\x03]\x00\x00\x00/;

before(async () => {
  process.env.TSCOMPOSE_TEST_BUNDLED = '1';
  targets.push(...(await availableTargets()));
  const ctx = busyboxContext();
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

/** Resizes the terminal and waits for the program to print the new size. */
async function resizedTo(term: PtySession, tag: string, rows: number, columns: number): Promise<void> {
  await term.waitFor(new RegExp(`${tag}-ready`));
  const from = term.output.length;
  // the docker CLI sends the terminal's initial size from a goroutine of its own after an exec starts: against
  // dockerd 20.10 that late initial size can land after this resize and undo it, so the window changes once
  // more, as a person would see and do, before the size is declared lost
  for (let attempt = 1; ; attempt++) {
    await term.resize(rows, columns);
    try {
      await term.waitFor(new RegExp(`${tag}=${rows} ${columns}\\r*\\n`), attempt < 3 ? 10_000 : 30_000, from);
      return;
    } catch (err) {
      if (attempt === 3) throw err;
      await term.resize(rows - 1, columns - 1);
    }
  }
}

for (const name of ['bundled', 'docker'] as const) {
  const label = name === 'bundled' ? 'the bundled engine' : 'Docker Engine';

  test(`docker run -it and docker exec -it follow the terminal's size on ${label}`, async (t) => {
    const target = targets.find((x) => x.name === name);
    if (!target) {
      t.skip(`${name} engine unavailable`);
      return;
    }
    const cname = `tsc-pty-${name}-${process.pid}`;
    const terms: PtySession[] = [];
    try {
      const run = new PtySession(['docker', '-H', host(target), 'run', '-it', '--name', cname, IMAGE, ...watcher('ctr')], {
        rows: 24,
        columns: 80,
      });
      terms.push(run);
      await resizedTo(run, 'ctr', 50, 132);
      // a second resize reaches it as well
      await resizedTo(run, 'ctr', 30, 100);
      // detach keys (ctrl-p ctrl-q) end the client and leave the container running
      run.type('\x10\x11');
      assert.equal(await run.exited, 0, run.output);
      assert.equal((await docker(target, ['inspect', '-f', '{{.State.Running}}', cname])).stdout.trim(), 'true');
      assert.doesNotMatch(run.output, FRAME_HEADER);

      const exec = new PtySession(['docker', '-H', host(target), 'exec', '-it', cname, ...watcher('exec')], { rows: 24, columns: 80 });
      terms.push(exec);
      await resizedTo(exec, 'exec', 42, 111);
      // the container's own terminal keeps its size: each terminal is its own
      assert.equal((await docker(target, ['exec', cname, 'stty', '-F', '/dev/pts/0', 'size'])).stdout.trim(), '30 100');
      assert.equal((await docker(target, ['exec', cname, 'touch', '/stop-exec'])).code, 0);
      assert.equal(await exec.exited, 3, exec.output);
      assert.doesNotMatch(exec.output, FRAME_HEADER);
    } finally {
      for (const term of terms) term.kill();
      await docker(target, ['rm', '-f', cname]);
    }
  });

  test(`tscompose run and tscompose exec follow the terminal's size on ${label}`, async (t) => {
    const target = targets.find((x) => x.name === name);
    if (!target) {
      t.skip(`${name} engine unavailable`);
      return;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-pty-project-'));
    const project = `tscpty${name}${process.pid}`;
    writeFileSync(path.join(dir, 'compose.yaml'), `services:\n  app:\n    image: ${IMAGE}\n    command: ["sleep", "3600"]\n`);
    const tscompose = (args: string[]) => ['node', CLI, ...target.flags, '-p', project, '-f', path.join(dir, 'compose.yaml'), ...args];
    const env = { ...process.env, ...target.env };
    const terms: PtySession[] = [];
    try {
      const run = new PtySession(tscompose(['run', '--rm', 'app', ...watcher('run')]), { rows: 24, columns: 80, env });
      terms.push(run);
      await resizedTo(run, 'run', 33, 99);
      const ctr = (await docker(target, ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`])).stdout.trim();
      assert.match(ctr, /^[0-9a-f]+$/, 'the one-off container runs');
      assert.equal((await docker(target, ['exec', ctr, 'touch', '/stop-run'])).code, 0);
      assert.equal(await run.exited, 3, run.output);

      await promisify(execFile)('node', tscompose(['up', '-d']).slice(1), { env });
      const exec = new PtySession(tscompose(['exec', 'app', ...watcher('exec')]), { rows: 24, columns: 80, env });
      terms.push(exec);
      await resizedTo(exec, 'exec', 45, 120);
      const svc = (
        await docker(target, [
          'ps',
          '-q',
          '--filter',
          `label=com.docker.compose.service=app`,
          '--filter',
          `label=com.docker.compose.project=${project}`,
        ])
      ).stdout.trim();
      assert.equal((await docker(target, ['exec', svc, 'touch', '/stop-exec'])).code, 0);
      assert.equal(await exec.exited, 3, exec.output);
    } finally {
      for (const term of terms) term.kill();
      await promisify(execFile)('node', tscompose(['down', '-t', '0']).slice(1), { env }).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
