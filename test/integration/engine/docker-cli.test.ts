// The real docker CLI (v28) against the bundled engine: version negotiation, run --rm, logs -f, exec, cp, stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(async () => {
  await t?.cleanup();
});

test('docker version negotiates the API without warnings', async () => {
  const r = await t.cli(['version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '1.43');
  assert.equal(r.stderr, '');
});

test('docker run --rm prints the output and returns the exit code; the container is gone', async () => {
  const r = await t.cli(['run', '--rm', '--name', 'tsc-eng-cli-rm', BUSYBOX, 'sh', '-c', 'echo hello; echo oops >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.stderr, 'oops\n');
  const ps = await t.cli(['ps', '-a', '--filter', 'name=tsc-eng-cli-rm', '--format', '{{.Names}}']);
  assert.equal(ps.stdout.trim(), '');
});

test('docker logs -f follows a running container until it stops; exec, cp and stats work on it', async () => {
  const run = await t.cli([
    'run',
    '-d',
    '--name',
    'tsc-eng-cli-logs',
    '--label',
    'tsc.cli=1',
    BUSYBOX,
    'sh',
    '-c',
    'trap "" TERM; i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const follow = spawn('docker', ['-H', `unix://${t.socket}`, 'logs', '-f', 'tsc-eng-cli-logs'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let followed = '';
  follow.stdout.on('data', (d) => {
    followed += d;
  });
  const followExit = new Promise<number>((resolve) => follow.on('close', (code) => resolve(code ?? -1)));
  try {
    for (let i = 0; i < 200 && !followed.includes('line3\n'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(followed, /^line0\nline1\nline2\nline3\n/);

    const ex = await t.cli(['exec', 'tsc-eng-cli-logs', 'sh', '-c', 'echo in-exec; exit 4']);
    assert.equal(ex.code, 4);
    assert.equal(ex.stdout, 'in-exec\n');

    const hostFile = path.join(t.root, 'to-container.txt');
    writeFileSync(hostFile, 'copied in\n');
    const cpIn = await t.cli(['cp', hostFile, 'tsc-eng-cli-logs:/tmp/']);
    assert.equal(cpIn.code, 0, cpIn.stderr);
    assert.equal((await t.cli(['exec', 'tsc-eng-cli-logs', 'cat', '/tmp/to-container.txt'])).stdout, 'copied in\n');
    const cpOut = await t.cli(['cp', 'tsc-eng-cli-logs:/etc/passwd', path.join(t.root, 'passwd-out')]);
    assert.equal(cpOut.code, 0, cpOut.stderr);
    assert.match(readFileSync(path.join(t.root, 'passwd-out'), 'utf8'), /^root:x:0:0:/);

    const ps = await t.cli(['ps', '--filter', 'label=tsc.cli=1', '--format', '{{.Names}} {{.State}}']);
    assert.equal(ps.stdout.trim(), 'tsc-eng-cli-logs running');

    const stats = await t.cli(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'tsc-eng-cli-logs']);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /^tsc-eng-cli-logs [1-9]\d*\n$/);

    // the process ignores SIGTERM: stop must SIGKILL it after the 1 s timeout
    const stop = await t.cli(['stop', '-t', '1', 'tsc-eng-cli-logs']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await followExit, 0, 'logs -f ends when the container stops');
    const code = await t.cli(['inspect', '-f', '{{.State.ExitCode}} {{.State.Status}}', 'tsc-eng-cli-logs']);
    assert.equal(code.stdout.trim(), '137 exited');
  } finally {
    follow.kill();
    await t.cli(['rm', '-f', 'tsc-eng-cli-logs']);
  }
});

test('unknown containers give Docker-style errors', async () => {
  const r = await t.cli(['inspect', 'tsc-eng-nope']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /No such (container|object): tsc-eng-nope/);
});

test('docker run -i feeds stdin; host config flags: read-only rootfs, tmpfs, bind mount, cap-drop, ulimit, env, user, workdir', async () => {
  const piped = await t.cli(['run', '--rm', '-i', BUSYBOX, 'sh', '-c', 'tr a-z A-Z'], 'shout\n');
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout, 'SHOUT\n');
  const hostDir = path.join(t.root, 'bind');
  (await import('node:fs')).mkdirSync(hostDir, { mode: 0o777 });
  (await import('node:fs')).chmodSync(hostDir, 0o777); // writable for the container's uid 1000
  writeFileSync(path.join(hostDir, 'in.txt'), 'from host\n');
  const script = [
    'cat /data/in.txt',
    'echo written > /data/out.txt',
    'touch /ro-test 2>/dev/null || echo rootfs-ro',
    'echo ok > /scratch/f && cat /scratch/f',
    'ulimit -n',
    'grep CapEff /proc/self/status',
    'grep "^Seccomp:" /proc/self/status',
    'echo $FOO $(id -u) $(pwd)',
  ].join('; ');
  const r = await t.cli([
    'run',
    '--rm',
    '--read-only',
    '--tmpfs',
    '/scratch',
    '-v',
    `${hostDir}:/data`,
    '--cap-drop',
    'ALL',
    '--ulimit',
    'nofile=512:1024',
    '-e',
    'FOO=bar',
    '-u',
    '1000',
    '-w',
    '/tmp',
    BUSYBOX,
    'sh',
    '-c',
    script,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from host\nrootfs-ro\nok\n512\nCapEff:\t0000000000000000\nSeccomp:\t2\nbar 1000 /tmp\n');
  assert.equal(readFileSync(path.join(hostDir, 'out.txt'), 'utf8'), 'written\n');
});

test('an image built through the engine (Dockerfile RUN on the OneShotRunner) runs with docker run', async () => {
  const { busyboxContext } = await import('../../helpers/busybox-image.js');
  const ctx = busyboxContext(['CMD ["echo", "built and run"]']);
  try {
    const build = await t.cli(['build', '-q', '-t', 'tsc-eng-built:1', ctx]);
    assert.equal(build.code, 0, build.stderr);
    const r = await t.cli(['run', '--rm', 'tsc-eng-built:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'built and run\n');
  } finally {
    (await import('node:fs')).rmSync(ctx, { recursive: true, force: true });
  }
});
