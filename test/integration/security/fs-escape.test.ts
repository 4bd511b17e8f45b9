// Writes into image and container filesystems stay inside them, whatever symlinks they meet (design.md,
// "Security model"). Each test performs the attack for real against the bundled engine and checks that a
// victim directory on the host (known mode, contents and mtimes) is untouched and no host symlink appeared.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import tar from 'tar-stream';
import { imageDirAt } from '../../../src/engine/volumes/seed.js';
import { ensureDockerd } from '../../helpers/dockerd.js';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { tarball } from '../../helpers/tarball.js';
import { BUSYBOX, startTestEngine, type TestEngine } from '../engine/harness.js';

const OLD = new Date('2001-02-03T04:05:06Z');

interface Victim {
  dir: string;
  assertUntouched(what: string): void;
}

/** A host directory (0700, two files, old mtimes) that an escaping write would change. */
function makeVictim(): Victim {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-victim-'));
  fs.writeFileSync(path.join(dir, 'orig'), 'original\n');
  fs.mkdirSync(path.join(dir, 'sub'));
  for (const p of [path.join(dir, 'orig'), path.join(dir, 'sub'), dir]) fs.utimesSync(p, OLD, OLD);
  fs.chmodSync(dir, 0o700);
  const snapshot = () => {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const name of fs.readdirSync(d).sort()) {
        const p = path.join(d, name);
        const st = fs.lstatSync(p);
        out.push(
          `${path.relative(dir, p)} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs}${st.isFile() ? ' ' + fs.readFileSync(p, 'utf8') : ''}`,
        );
        if (st.isDirectory()) walk(p);
      }
    };
    const st = fs.lstatSync(dir);
    out.push(`. ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs}`);
    walk(dir);
    return out;
  };
  const before = snapshot();
  return { dir, assertUntouched: (what) => assert.deepEqual(snapshot(), before, `${what}: the host directory ${dir} must not change`) };
}

const stat64 = (h: string | string[] | undefined) => JSON.parse(Buffer.from(String(h), 'base64').toString());
const tarNames = async (buf: Buffer): Promise<string[]> => {
  const names: string[] = [];
  const ex = tar.extract();
  Readable.from(buf).pipe(ex);
  for await (const e of ex) {
    names.push(`${e.header.type}:${e.header.name}${e.header.linkname ? ' -> ' + e.header.linkname : ''}`);
    e.resume();
  }
  return names;
};

// COPY destinations through symlinks of the image: /link -> /data, a dangling /vl -> <victim path>, a relative
// /rl climbing out; Docker 20.10 writes /data/f, <victim path>/f (created in the image) and /data/g
const destLinksDockerfile = (from: string, victimDir: string) =>
  [
    `FROM ${from}`,
    `RUN mkdir /data && ln -s /data /link && ln -s ${victimDir} /vl && ln -s ${'../'.repeat(12)}data /rl`,
    'COPY f /link/',
    'COPY f /vl/',
    'COPY f /rl/g',
    '',
  ].join('\n');
const DEST_LINKS_CHECK = (victimDir: string) => `readlink /link; readlink /vl; cat /data/f ${victimDir}/f /data/g`;
const DEST_LINKS_EXPECTED_FOR = (victimDir: string) => `/data\n${victimDir}\nhi\nhi\nhi\n`;

let t: TestEngine;
let scratch: string;
const victims: Victim[] = [];
const victim = () => {
  const v = makeVictim();
  victims.push(v);
  return v;
};

before(async () => {
  t = await startTestEngine();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-fsesc-'));
});
after(async () => {
  await t?.cleanup();
  fs.rmSync(scratch, { recursive: true, force: true });
  for (const v of victims) fs.rmSync(v.dir, { recursive: true, force: true });
});

describe('build COPY/ADD', () => {
  test('COPY d1 d2 /out/ where d1/s is a symlink to a host directory and d2/s/ a directory: replaced inside the image, as Docker does', async () => {
    const v = victim();
    const ctx = path.join(scratch, 'ctx-copy');
    fs.mkdirSync(path.join(ctx, 'd1'), { recursive: true });
    fs.mkdirSync(path.join(ctx, 'd2', 's'), { recursive: true });
    fs.mkdirSync(path.join(ctx, 'd2', 'r'), { recursive: true });
    fs.symlinkSync(v.dir, path.join(ctx, 'd1', 's')); // absolute
    fs.symlinkSync('../'.repeat(12) + v.dir.slice(1), path.join(ctx, 'd1', 'r')); // relative, climbing out
    for (const d of ['s', 'r']) {
      fs.writeFileSync(path.join(ctx, 'd2', d, 'pwned'), 'pwned\n');
      fs.writeFileSync(path.join(ctx, 'd2', d, 'orig'), 'overwritten\n');
      fs.chmodSync(path.join(ctx, 'd2', d), 0o777);
    }
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY d1 d2 /out/\n`);
    const built = await t.cli(['build', '-q', '-t', 'tsc-test/fsesc-copy', ctx]);
    v.assertUntouched('COPY through a symlinked directory');
    assert.equal(built.code, 0, built.stderr);
    const ls = await t.cli([
      'run',
      '--rm',
      '--network',
      'none',
      'tsc-test/fsesc-copy',
      'sh',
      '-c',
      'for d in s r; do stat -c "%n %F %a" /out/$d; cat /out/$d/pwned; done',
    ]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout, '/out/s directory 777\npwned\n/out/r directory 777\npwned\n');
  });

  test('COPY of a symlink over a directory an earlier source copied replaces it (no write through it)', async () => {
    const v = victim();
    const ctx = path.join(scratch, 'ctx-copy2');
    fs.mkdirSync(path.join(ctx, 'd1', 's'), { recursive: true });
    fs.mkdirSync(path.join(ctx, 'd2', 'x'), { recursive: true });
    fs.writeFileSync(path.join(ctx, 'd1', 's', 'a'), 'a\n');
    fs.symlinkSync(v.dir, path.join(ctx, 'd2', 's'));
    fs.symlinkSync(v.dir, path.join(ctx, 'd2', 'x', 'l'));
    fs.mkdirSync(path.join(ctx, 'd3', 'x', 'l'), { recursive: true });
    fs.writeFileSync(path.join(ctx, 'd3', 'x', 'l', 'pwned'), 'pwned\n');
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY d1 d2 d3 /out/\n`);
    const built = await t.cli(['build', '-q', '-t', 'tsc-test/fsesc-copy2', ctx]);
    v.assertUntouched('COPY of a symlink, then a directory through it');
    assert.equal(built.code, 0, built.stderr);
    const ls = await t.cli(['run', '--rm', '--network', 'none', 'tsc-test/fsesc-copy2', 'sh', '-c', 'readlink /out/s; cat /out/x/l/pwned']);
    assert.equal(ls.stdout, `${v.dir}\npwned\n`, ls.stderr);
  });

  test('RUN with a WORKDIR under a symlink an earlier step made creates the directory inside the image', async () => {
    const v = victim();
    const ctx = path.join(scratch, 'ctx-workdir');
    fs.mkdirSync(ctx, { recursive: true });
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN ln -s ${v.dir} /w\nWORKDIR /w/new/deeper\nRUN pwd > /pwd\n`);
    const built = await t.cli(['build', '-q', '-t', 'tsc-test/fsesc-workdir', ctx]);
    v.assertUntouched('WORKDIR through a symlink');
    assert.equal(built.code, 0, built.stderr);
    const ls = await t.cli([
      'run',
      '--rm',
      '--network',
      'none',
      'tsc-test/fsesc-workdir',
      'sh',
      '-c',
      `cat /pwd; test -d ${v.dir}/new/deeper && echo inside`,
    ]);
    assert.match(ls.stdout, /new\/deeper\ninside\n$/, ls.stderr); // the step ran there (pwd prints the physical path)
  });

  test('COPY to a destination under symlinks of the image follows them inside the image, as Docker does', async () => {
    const v = victim();
    const ctx = path.join(scratch, 'ctx-dest');
    fs.mkdirSync(ctx, { recursive: true });
    fs.writeFileSync(path.join(ctx, 'f'), 'hi\n');
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), destLinksDockerfile(BUSYBOX, v.dir));
    const built = await t.cli(['build', '-q', '-t', 'tsc-test/fsesc-dest', ctx]);
    v.assertUntouched('COPY to a destination through symlinks');
    assert.equal(built.code, 0, built.stderr);
    const ls = await t.cli(['run', '--rm', '--network', 'none', 'tsc-test/fsesc-dest', 'sh', '-c', DEST_LINKS_CHECK(v.dir)]);
    assert.equal(ls.stdout, DEST_LINKS_EXPECTED_FOR(v.dir), ls.stderr);
  });

  test('ADD of a local tar whose entries go through a symlink to a host directory lands inside the image', async () => {
    const v = victim();
    const ctx = path.join(scratch, 'ctx-add');
    fs.mkdirSync(ctx, { recursive: true });
    fs.writeFileSync(
      path.join(ctx, 'evil.tar'),
      await tarball([
        { name: 'l', type: 'symlink', linkname: v.dir },
        { name: 'l/pwned', content: 'pwned\n' },
        { name: 'l/orig', content: 'overwritten\n' },
        { name: 'l/sub', type: 'directory', mode: 0o777 },
        { name: 'rel', type: 'symlink', linkname: '../'.repeat(12) + v.dir.slice(1) },
        { name: 'rel/pwned2', content: 'pwned\n' },
      ]),
    );
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nADD evil.tar /add/\n`);
    const built = await t.cli(['build', '-q', '-t', 'tsc-test/fsesc-add', ctx]);
    v.assertUntouched('ADD of a hostile tar');
    assert.equal(built.code, 0, built.stderr);
    // ADD extracts with the destination as the archive's root (Docker 20.10's chrootarchive)
    const ls = await t.cli(['run', '--rm', '--network', 'none', 'tsc-test/fsesc-add', 'cat', `/add${v.dir}/pwned`, `/add${v.dir}/pwned2`]);
    assert.equal(ls.stdout, 'pwned\npwned\n', ls.stderr);
  });

  test('ADD of a tar climbing out with .. fails the build and writes nothing outside', async () => {
    const v = victim();
    const ctx = path.join(scratch, 'ctx-add2');
    fs.mkdirSync(ctx, { recursive: true });
    fs.writeFileSync(
      path.join(ctx, 'evil.tar'),
      await tarball([{ name: `${'../'.repeat(12)}${v.dir.slice(1)}/pwned`, content: 'pwned\n' }]),
    );
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nADD evil.tar /add/\n`);
    const built = await t.cli(['build', '-q', '-t', 'tsc-test/fsesc-add2', ctx]);
    assert.notEqual(built.code, 0);
    v.assertUntouched('ADD of a tar with ..');
  });
});

describe('image load and import', () => {
  const hostile = (v: Victim) => [
    { name: 'l', type: 'symlink' as const, linkname: v.dir },
    { name: 'l/pwned', content: 'pwned\n' },
    { name: 'd/', type: 'directory' as const, mode: 0o755 },
    { name: 'd', type: 'symlink' as const, linkname: v.dir }, // a directory replaced by a symlink: its mtime is not set through it
    { name: 'l/.wh.orig', content: '' },
    { name: 'l/sub/.wh..wh..opq', content: '' },
    { name: 'h', type: 'link' as const, linkname: 'l/pwned' },
  ];

  test('docker import of a tar with symlink-then-file, whiteouts and a hard link through a symlink', async () => {
    const v = victim();
    const file = path.join(scratch, 'import.tar');
    fs.writeFileSync(file, await tarball(hostile(v)));
    const imported = await t.cli(['import', file, 'tsc-test/fsesc-import']);
    assert.equal(imported.code, 0, imported.stderr);
    v.assertUntouched('import');
  });

  test('docker load of an image whose layer writes through symlinks, and of layers climbing out (refused)', async () => {
    const v = victim();
    const save = async (layer: Buffer, tag: string) => {
      const diffID = 'sha256:' + createHash('sha256').update(layer).digest('hex');
      const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffID] } });
      const configName = createHash('sha256').update(config).digest('hex') + '.json';
      const file = path.join(scratch, `${tag}.tar`);
      fs.writeFileSync(
        file,
        await tarball([
          { name: 'layer/layer.tar', content: layer },
          { name: configName, content: config },
          {
            name: 'manifest.json',
            content: JSON.stringify([{ Config: configName, RepoTags: [`tsc-test/${tag}:latest`], Layers: ['layer/layer.tar'] }]),
          },
        ]),
      );
      return t.cli(['load', '-i', file]);
    };
    const ok = await save(await tarball(hostile(v)), 'fsesc-load');
    assert.equal(ok.code, 0, ok.stderr);
    v.assertUntouched('load');
    for (const entries of [
      [{ name: `${'../'.repeat(12)}${v.dir.slice(1)}/pwned`, content: 'pwned\n' }],
      [{ name: 'x/../../pwned', content: 'pwned\n' }],
      [{ name: 'h', type: 'link' as const, linkname: `${'../'.repeat(12)}${v.dir.slice(1)}/orig` }],
      [{ name: `../.wh.${path.basename(v.dir)}`, content: '' }],
    ]) {
      const bad = await save(await tarball(entries), 'fsesc-load-bad');
      assert.notEqual(bad.code, 0, `refused: ${JSON.stringify(entries)}`);
      v.assertUntouched('load of an escaping layer');
    }
  });
});

describe('docker cp', () => {
  // /x, /y and /rel name the victim's host path (absolute, and relative climbing out); /etclink -> /etc
  const setup = (v: Victim) =>
    `ln -s ${v.dir} /x && ln -s ${v.dir} /y && ln -s ${'../'.repeat(12)}${v.dir.slice(1)} /rel && ln -s /etc /etclink && touch /ready`;

  for (const mode of ['running', 'stopped'] as const) {
    test(`into a ${mode} container, over symlinks to host paths: lands in the container`, async () => {
      const v = victim();
      const name = `fsesc-in-${mode}`;
      const run =
        mode === 'running'
          ? await t.cli(['run', '-d', '--name', name, '--network', 'none', BUSYBOX, 'sh', '-c', `${setup(v)} && exec sleep 300`])
          : await t.cli(['run', '--name', name, '--network', 'none', BUSYBOX, 'sh', '-c', setup(v)]);
      assert.equal(run.code, 0, run.stderr);
      if (mode === 'running') {
        for (let i = 0; i < 100 && (await t.cli(['exec', name, 'test', '-e', '/ready'])).code !== 0; i++)
          await new Promise((r) => setTimeout(r, 50));
      }
      const src = path.join(scratch, `cp-src-${mode}`, 'x');
      fs.mkdirSync(src, { recursive: true });
      fs.writeFileSync(path.join(src, 'pwned'), 'pwned\n');
      fs.writeFileSync(path.join(src, 'orig'), 'overwritten\n');
      fs.chmodSync(src, 0o777);

      // the CLI stats /x, follows the link (in the container) and copies there
      const cp1 = await t.cli(['cp', src, `${name}:/x`]);
      assert.equal(cp1.code, 0, cp1.stderr);
      v.assertUntouched(`docker cp dir ${mode}:/x`);
      const cp2 = await t.cli(['cp', src, `${name}:/rel/`]);
      v.assertUntouched(`docker cp dir ${mode}:/rel/`);
      assert.equal(cp2.code, 0, cp2.stderr);
      const back = await t.cli(['cp', `${name}:${v.dir}/pwned`, '-']);
      assert.equal(back.code, 0, back.stderr);
      assert.match(back.stdout, /pwned/);

      const c = t.docker.getContainer(name);

      // raw PUTs: a directory entry over the symlink (refused with noOverwriteDirNonDir, replaced without),
      // a symlink then a file through it, a hard link to an absolute path (inside the container)
      const dirOver = (n: string) =>
        tarball([
          { name: n, type: 'directory', mode: 0o777 },
          { name: `${n}/pwned`, content: 'pwned\n' },
        ]);
      await c.putArchive(Readable.from(await dirOver('x')) as unknown as NodeJS.ReadableStream, { path: '/' });
      v.assertUntouched(`PUT dir over symlink (${mode})`);
      await assert.rejects(
        c.putArchive(Readable.from(await dirOver('y')) as unknown as NodeJS.ReadableStream, { path: '/', noOverwriteDirNonDir: true }),
        /cannot overwrite non-directory/,
      );
      v.assertUntouched(`PUT dir over symlink (${mode}, noOverwriteDirNonDir)`);
      await c.putArchive(
        Readable.from(
          await tarball([
            { name: 'esc', type: 'symlink', linkname: v.dir },
            { name: 'esc/pwned3', content: 'pwned\n' },
            { name: 'esc/orig', content: 'overwritten\n' },
            { name: 'esc', type: 'directory', mode: 0o777 }, // the symlink itself is replaced, not followed
            { name: 'rel/pwned4', content: 'pwned\n' },
            { name: 'hl', type: 'link', linkname: `${v.dir}/orig` },
          ]),
        ) as unknown as NodeJS.ReadableStream,
        { path: '/' },
      );
      v.assertUntouched(`PUT symlink-then-file (${mode})`);
      await assert.rejects(
        c.putArchive(Readable.from(await tarball([{ name: '../../../../pwned', content: 'x' }])) as unknown as NodeJS.ReadableStream, {
          path: '/x',
        }),
      );
      v.assertUntouched(`PUT with .. (${mode})`);
      const check = await t.cli(['cp', `${name}:${v.dir}/`, path.join(scratch, `cp-check-${mode}`)]);
      assert.equal(check.code, 0, check.stderr);
      assert.deepEqual(fs.readdirSync(path.join(scratch, `cp-check-${mode}`)).sort(), ['orig', 'pwned', 'pwned3', 'pwned4', 'x']);
      assert.equal(fs.readFileSync(path.join(scratch, `cp-check-${mode}`, 'orig'), 'utf8'), 'overwritten\n');
      v.assertUntouched(`docker cp out (${mode})`);
      await t.cli(['rm', '-f', name]);
    });

    test(`out of a ${mode} container: C:/etclink/ copies the container's /etc, C:/etclink the link itself`, async () => {
      const v = victim();
      const name = `fsesc-out-${mode}`;
      const run =
        mode === 'running'
          ? await t.cli(['run', '-d', '--name', name, '--network', 'none', BUSYBOX, 'sh', '-c', `${setup(v)} && exec sleep 300`])
          : await t.cli(['run', '--name', name, '--network', 'none', BUSYBOX, 'sh', '-c', setup(v)]);
      assert.equal(run.code, 0, run.stderr);
      if (mode === 'running') {
        for (let i = 0; i < 100 && (await t.cli(['exec', name, 'test', '-e', '/ready'])).code !== 0; i++)
          await new Promise((r) => setTimeout(r, 50));
      }
      const c = t.docker.getContainer(name);
      const out = path.join(scratch, `out-${mode}`);
      const r1 = await t.cli(['cp', `${name}:/etclink/`, out]);
      assert.equal(r1.code, 0, r1.stderr);
      assert.ok(fs.lstatSync(out).isDirectory(), 'a directory copy, not a host symlink');
      assert.match(fs.readFileSync(path.join(out, 'passwd'), 'utf8'), /^root:x:0:0/);
      const out2 = path.join(scratch, `out2-${mode}`);
      const r2 = await t.cli(['cp', `${name}:/etclink`, out2]);
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(fs.readlinkSync(out2), '/etc', 'without a trailing slash the link itself, as Docker does');
      // /x/ is the container's own path named like the victim: missing there
      const r3 = await t.cli(['cp', `${name}:/x/`, path.join(scratch, `out3-${mode}`)]);
      assert.notEqual(r3.code, 0);
      v.assertUntouched(`docker cp out of ${mode}`);

      const stat = async (p: string) => stat64((await headArchive(name, p))['x-docker-container-path-stat']);
      assert.deepEqual(pick(await stat('/etclink')), { name: 'etclink', linkTarget: '/etc', mode: 0o777 + 2 ** 27 });
      assert.deepEqual(pick(await stat('/rel')), { name: 'rel', linkTarget: v.dir, mode: 0o777 + 2 ** 27 });
      assert.deepEqual(pick(await stat('/etclink/')), { name: 'etclink', linkTarget: '', mode: 0o755 + 2 ** 31 });
      assert.deepEqual(pick(await stat('/etclink/.')), { name: '.', linkTarget: '', mode: 0o755 + 2 ** 31 });
      const names = await tarNames(await streamToBuffer((await c.getArchive({ path: '/etclink/' })) as unknown as NodeJS.ReadableStream));
      assert.ok(names.includes('directory:etclink') && names.includes('file:etclink/passwd'), names.join(','));
      await t.cli(['rm', '-f', name]);
    });
  }
});

const pick = (s: Record<string, unknown>) => ({ name: s.name, linkTarget: s.linkTarget, mode: s.mode });

async function streamToBuffer(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function headArchive(name: string, p: string): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(
        { socketPath: t.socket, method: 'HEAD', path: `/containers/${name}/archive?path=${encodeURIComponent(p)}` },
        (res) => {
          res.resume();
          if (res.statusCode !== 200) reject(new Error(`HEAD ${p}: ${res.statusCode}`));
          else resolve(res.headers);
        },
      );
      req.on('error', reject);
      req.end();
    }, reject);
  });
}

describe('reads by path', () => {
  test("docker exec -u resolves the user from the container's /etc/passwd, not a host file it symlinks to", async () => {
    const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-hostpasswd-'));
    victims.push({ dir: hostDir, assertUntouched: () => {} });
    fs.writeFileSync(path.join(hostDir, 'passwd'), 'hostonly:x:4242:4242::/:/bin/sh\n');
    const name = 'fsesc-passwd';
    const run = await t.cli([
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      BUSYBOX,
      'sh',
      '-c',
      `mkdir -p ${hostDir} && echo hostonly:x:1234:1234::/:/bin/sh > ${hostDir}/passwd && ln -sf ${hostDir}/passwd /etc/passwd && touch /ready && exec sleep 300`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    for (let i = 0; i < 100 && (await t.cli(['exec', name, 'test', '-e', '/ready'])).code !== 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    const ex = await t.cli(['exec', '-u', 'hostonly', name, 'id', '-u']);
    // the same path exists in the container with another uid: that one counts
    assert.equal(ex.stdout.trim(), '1234', `the container's own file, not the host's (4242): ${ex.stderr}`);
    await t.cli(['rm', '-f', name]);
  });
});

describe('volume seeding', () => {
  test('the image directory a volume is seeded from is resolved inside the image rootfs', async () => {
    const v = victim();
    const root = path.join(scratch, 'seed-root');
    fs.mkdirSync(path.join(root, 'etc', 'inside'), { recursive: true });
    fs.symlinkSync(path.dirname(v.dir), path.join(root, 'data')); // /data -> /tmp (a host path if followed naively)
    fs.symlinkSync('/etc', path.join(root, 'etclink'));
    assert.equal(await imageDirAt(root, `/data/${path.basename(v.dir)}`), undefined, 'the image has no such directory');
    assert.equal(await imageDirAt(root, '/etclink/inside'), path.join(root, 'etc', 'inside'));
    assert.equal(await imageDirAt(root, '/../../etclink'), path.join(root, 'etc'));
  });
});

describe('Docker Engine agrees', () => {
  test('docker cp C:/etclink/ out copies /etc; C:/etclink gives the link; HEAD stats', async (ctx) => {
    if (!(await ensureDockerd())) {
      ctx.skip('no Docker Engine');
      return;
    }
    const docker = (args: string[]) =>
      spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', ...args], {
        encoding: 'utf8',
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
      });
    const bb = busyboxContext(['RUN ln -s /etc /etclink && mkdir -p /etc && echo root:x:0:0 > /etc/passwd']);
    try {
      const built = docker(['build', '-q', '-t', 'tsc-test/fsesc-busybox', bb]);
      assert.equal(built.status, 0, built.stderr);
      for (const mode of ['running', 'stopped']) {
        const name = `tsc-fsesc-${mode}-${process.pid}`;
        docker(['rm', '-f', name]);
        const run =
          mode === 'running'
            ? docker(['run', '-d', '--name', name, 'tsc-test/fsesc-busybox', 'sleep', '300'])
            : docker(['create', '--name', name, 'tsc-test/fsesc-busybox', 'true']);
        assert.equal(run.status, 0, run.stderr);
        try {
          const out = path.join(scratch, `docker-out-${mode}`);
          assert.equal(docker(['cp', `${name}:/etclink/`, out]).status, 0);
          assert.ok(fs.lstatSync(out).isDirectory());
          assert.match(fs.readFileSync(path.join(out, 'passwd'), 'utf8'), /^root:x:0:0/);
          const out2 = path.join(scratch, `docker-out2-${mode}`);
          assert.equal(docker(['cp', `${name}:/etclink`, out2]).status, 0);
          assert.equal(fs.readlinkSync(out2), '/etc');
        } finally {
          docker(['rm', '-f', name]);
        }
      }
      // the same COPY-through-image-symlinks build gives the same files
      const ctx = path.join(scratch, 'docker-ctx-dest');
      fs.mkdirSync(ctx, { recursive: true });
      fs.writeFileSync(path.join(ctx, 'f'), 'hi\n');
      const vdir = '/tmp/tsc-victim-docker-side';
      fs.writeFileSync(path.join(ctx, 'Dockerfile'), destLinksDockerfile('tsc-test/fsesc-busybox', vdir));
      const destBuilt = docker(['build', '-q', '-t', 'tsc-test/fsesc-dest', ctx]);
      assert.equal(destBuilt.status, 0, destBuilt.stderr);
      try {
        const ran = docker(['run', '--rm', '--network', 'none', 'tsc-test/fsesc-dest', 'sh', '-c', DEST_LINKS_CHECK(vdir)]);
        assert.equal(ran.stdout, DEST_LINKS_EXPECTED_FOR(vdir), ran.stderr);
      } finally {
        docker(['rmi', 'tsc-test/fsesc-dest']);
      }
    } finally {
      fs.rmSync(bb, { recursive: true, force: true });
      docker(['rmi', 'tsc-test/fsesc-busybox']);
    }
  });
});
