// An in-memory tar archive from entry headers and contents, for layer and archive tests.
import tar from 'tar-stream';

export async function tarball(entries: (Partial<tar.Header> & { name: string } & { content?: string | Buffer })[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { content, ...header } of entries) pack.entry(header, content ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
