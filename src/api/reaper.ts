// The reaper (like testcontainers' Ryuk): a detached process that outlives the test process that started it
// and removes that process's environments once it is gone, however it died — SIGKILL, the OOM killer, a test
// runner killing its workers — which no exit or signal hook can see. The test process holds the write end of
// the reaper's stdin; the kernel closes it when the test process dies, the reaper reads end-of-file and removes
// every project still registered with it. A project removed by down() is unregistered first.
// Run as `node reaper.js`; it reads JSON lines: {op:'register', …} and {op:'unregister', engine, name}.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { removeProjectResources, type CleanupRequest } from './cleanup-worker.js';
import { dockerEngineClient } from '../client/docker-engine-client.js';

export type ReaperMessage =
  | { op: 'register'; engine: CleanupRequest['engine']; name: string; removeVolumes: boolean; images: string[] }
  | { op: 'unregister'; engine: CleanupRequest['engine']; name: string };

async function main(): Promise<void> {
  process.title = 'tscompose-reaper';
  // detached from the test's process group; it must also survive a terminal that goes away
  for (const s of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(s, () => {});
  const projects = new Map<string, Extract<ReaperMessage, { op: 'register' }>>();
  const key = (engine: CleanupRequest['engine'], name: string) => `${JSON.stringify(engine)}|${name}`;
  let buf = '';
  process.stdin.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let msg: ReaperMessage;
      try {
        msg = JSON.parse(line) as ReaperMessage;
      } catch {
        continue;
      }
      if (msg.op === 'register') projects.set(key(msg.engine, msg.name), msg);
      else if (msg.op === 'unregister') projects.delete(key(msg.engine, msg.name));
    }
  });
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('error', () => resolve());
  });
  for (const p of projects.values()) {
    await removeProjectResources(dockerEngineClient(new Docker(p.engine)), p.name, p.removeVolumes, p.images).catch((err: Error) => {
      process.stderr.write(`tscompose reaper: removing project ${p.name} failed: ${err.message}\n`);
    });
  }
  process.exit(0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
