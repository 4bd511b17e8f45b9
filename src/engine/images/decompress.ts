// Layer decompression by content sniffing: gzip, zstd or a plain tar pass through unchanged.
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

async function* withHead(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length) yield head;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}

export async function* decompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 4) {
    const r = await it.next();
    if (r.done) break;
    head = Buffer.concat([head, r.value]);
  }
  const kind = sniffCompression(head);
  const input = withHead(head, it);
  if (kind === 'none') {
    yield* input;
    return;
  }
  if (kind === 'gzip') {
    const gunzip = zlib.createGunzip();
    const feeding = pipeline(Readable.from(input), gunzip).catch((err: Error) => {
      gunzip.destroy(err);
    });
    for await (const chunk of gunzip) yield chunk as Buffer;
    await feeding;
    return;
  }
  const out: Buffer[] = [];
  const zstd = new ZstdDecompress((data) => {
    out.push(Buffer.from(data));
  });
  for await (const chunk of input) {
    zstd.push(chunk);
    yield* out.splice(0);
  }
  zstd.push(new Uint8Array(0), true);
  yield* out.splice(0);
}

/** The first `n` bytes of `source` (fewer at its end), left in it to be read again. */
export async function peek(source: Readable, n: number): Promise<Buffer> {
  for (;;) {
    const chunk = source.read(n) as Buffer | null;
    if (chunk) {
      source.unshift(chunk);
      return chunk;
    }
    if (source.readableEnded || source.destroyed) return Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        source.off('readable', done);
        source.off('end', done);
        source.off('error', fail);
        resolve();
      };
      const fail = (err: Error) => {
        source.off('readable', done);
        source.off('end', done);
        reject(err);
      };
      source.on('readable', done);
      source.on('end', done);
      source.once('error', fail);
    });
  }
}

/** Large output chunks: fewer trips through the stream machinery and the tar parser per megabyte. */
const CHUNK = 1 << 20;

/** A stage that decompresses `kind` (none: undefined, pass the source through). */
export function decompressor(kind: Compression): Transform | undefined {
  if (kind === 'gzip') return zlib.createGunzip({ chunkSize: CHUNK });
  if (kind === 'none') return undefined;
  let zstd: ZstdDecompress | undefined;
  return new Transform({
    readableHighWaterMark: CHUNK,
    transform(chunk: Buffer, _enc, cb) {
      zstd ??= new ZstdDecompress((data) => {
        this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      });
      try {
        zstd.push(chunk);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb) {
      try {
        zstd?.push(new Uint8Array(0), true);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}
