// Loads a root filesystem tar into an engine as an image, as `docker import` does but with no docker
// CLI: POST /images/create?fromSrc=- on the engine's unix socket (the bundled engine or Docker).
// An image of that name already made from the same tar (its label says which) is kept.
// Usage: node import-image.mjs ROOTFS.tar NAME:TAG SOCKET
import { createReadStream } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [tar, ref, socketPath] = process.argv.slice(2);
if (!tar || !ref || !socketPath) {
  console.error('usage: node import-image.mjs ROOTFS.tar NAME:TAG SOCKET');
  process.exit(2);
}
const LABEL = 'org.tscompose.sample.rootfs';
const source = path.basename(tar);

function request(method, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: url, headers: body ? { 'content-type': 'application/x-tar' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', (err) => reject(new Error(`cannot reach the engine on ${socketPath}: ${err.message}`)));
    if (body) body.pipe(req); else req.end();
  });
}

const existing = await request('GET', `/images/${encodeURIComponent(ref)}/json`);
if (existing.status === 200 && JSON.parse(existing.text).Config?.Labels?.[LABEL] === source) {
  console.log(`${ref} is already loaded`);
  process.exit(0);
}
const colon = ref.lastIndexOf(':');
const query = new URLSearchParams({ fromSrc: '-', repo: ref.slice(0, colon), tag: ref.slice(colon + 1), changes: `LABEL ${LABEL}=${source}` });
const result = await request('POST', `/images/create?${query}`, createReadStream(tar));
// the answer is a stream of JSON progress messages; a failure is an HTTP error or an "error" message
const failed = result.status !== 200 ? result.text : result.text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((m) => m.error)?.error;
if (failed) {
  console.error(`importing ${tar} as ${ref} failed: ${failed}`);
  process.exit(1);
}
console.log(`${ref} loaded from ${tar}`);
