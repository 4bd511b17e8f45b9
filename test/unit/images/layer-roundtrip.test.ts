// A layer directory in overlay form (whiteouts, opaque dirs, hard links) packed to a tar and unpacked
// again gives the same tree; the layer digest is the diffID; gzip and zstd decompress by sniffing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { BlobStore } from '../../../src/engine/images/blobs.js';
import { packLayer } from '../../../src/engine/images/build/layer-pack.js';
import { decompress, sniffCompression } from '../../../src/engine/images/decompress.js';
import { markOpaque } from '../../../src/engine/images/extract.js';
import { LayerStore } from '../../../src/engine/images/layers.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-img-roundtrip-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function describeTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = path.join(rel, name);
      const st = fs.lstatSync(path.join(root, r));
      const kind = st.isDirectory()
        ? 'd'
        : st.isSymbolicLink()
          ? `l>${fs.readlinkSync(path.join(root, r))}`
          : st.isCharacterDevice()
            ? `c${st.rdev}`
            : `f${st.nlink}:${fs.readFileSync(path.join(root, r), 'utf8')}`;
      const mode = st.isCharacterDevice() ? 'whiteout' : (st.mode & 0o7777).toString(8); // a whiteout's mode means nothing
      out.push(`${r} ${kind} ${mode} ${st.uid}:${st.gid}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

test('pack → unpack keeps files, links, modes, owners, whiteouts and opaque dirs', { skip: !isRoot && 'needs root' }, async () => {
  const src = path.join(dir, 'src');
  fs.mkdirSync(path.join(src, 'etc/opaque'), { recursive: true });
  fs.writeFileSync(path.join(src, 'etc/file'), 'content');
  fs.chmodSync(path.join(src, 'etc/file'), 0o640);
  fs.chownSync(path.join(src, 'etc/file'), 12, 34);
  fs.linkSync(path.join(src, 'etc/file'), path.join(src, 'etc/hard'));
  fs.symlinkSync('/etc/file', path.join(src, 'link'));
  execFileSync('mknod', [path.join(src, 'etc/deleted'), 'c', '0', '0']);
  await markOpaque(path.join(src, 'etc/opaque'));

  const blobs = new BlobStore(path.join(dir, 'layout'), path.join(dir, 'tmp'));
  await blobs.init();
  const { diffID, descriptor } = await packLayer(src, blobs);
  assert.equal(descriptor.digest, diffID);
  const layers = new LayerStore(path.join(dir, 'layers'));
  await layers.init();
  const out = await layers.unpack(diffID, () => blobs.stream(diffID));
  assert.deepEqual(describeTree(out), describeTree(src));
  const opaque = execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', path.join(out, 'etc/opaque')], {
    encoding: 'utf8',
  });
  assert.equal(opaque, 'y');
  // unpacking again is a no-op; a wrong expected diffID is refused and leaves nothing behind
  assert.equal(
    await layers.unpack(diffID, () => {
      throw new Error('must not reopen');
    }),
    out,
  );
  await assert.rejects(
    layers.unpack('sha256:' + '0'.repeat(64), () => blobs.stream(diffID)),
    /digest mismatch/,
  );
  assert.deepEqual(fs.readdirSync(path.join(dir, 'layers')), [diffID.slice(7)]);
});

test('decompression by sniffing: plain, gzip, zstd', async () => {
  const data = Buffer.from('x'.repeat(100000) + 'end');
  const zstd = spawnSync('zstd', ['-q', '-c'], { input: data }).stdout;
  for (const [kind, input] of [
    ['none', data],
    ['gzip', zlib.gzipSync(data)],
    ['zstd', zstd],
  ] as const) {
    assert.equal(sniffCompression(input), kind);
    const chunks: Buffer[] = [];
    // fed in small pieces so the sniffing has to gather its header across chunks
    const pieces = Array.from({ length: Math.ceil(input.length / 3) }, (_, i) => input.subarray(i * 3, i * 3 + 3));
    for await (const c of decompress(Readable.from(pieces))) chunks.push(c);
    assert.ok(Buffer.concat(chunks).equals(data), kind);
  }
  await assert.rejects(async () => {
    for await (const _ of decompress(Readable.from([zlib.gzipSync(data).subarray(0, 50)]))) {
      /* */
    }
  });
});
