// `npm run bench:pull`: pull throughput of a 4-layer image (~50 MB of random data, gzip) from Debian's
// docker-registry on 127.0.0.1: the bundled engine's image service vs `docker pull` on the running
// dockerd. Each run starts from an empty store (the image is removed between runs); median of 5.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { tarball } from '../test/integration/images/fixtures.js';
import { pushTestImage, startRegistry } from '../test/integration/images/registry.js';
import { startImageServer } from '../test/integration/images/server.js';
import { markdownTable, time, type BenchRow } from './lib.js';

const LAYERS = 4;
const LAYER_BYTES = 12.5e6;
const RUNS = 5;

export async function runPullBench(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  const srv = await startImageServer();
  try {
    const layers: Buffer[] = [];
    for (let i = 0; i < LAYERS; i++)
      layers.push(await tarball([{ name: `data/layer${i}.bin`, content: randomBytes(LAYER_BYTES) as unknown as string }]));
    const pushed = await pushTestImage(reg, 'bench/pull', 'v1', { layerBytes: layers });
    const ref = `${reg.host}/bench/pull:v1`;
    const totalMB = pushed.layers.reduce((s, l) => s + l.size, 0) / 1e6;

    const ours = await time(async () => {
      const stream = await srv.docker.pull(ref);
      const events: { error?: string }[] = await new Promise((resolve, reject) =>
        srv.docker.modem.followProgress(stream, (err: Error | null, res: any[]) => (err ? reject(err) : resolve(res))),
      );
      const failed = events.find((e) => e.error);
      if (failed) throw new Error(failed.error);
      await srv.docker.getImage(ref).remove();
    }, RUNS);
    const row: BenchRow = {
      case: `pull ${LAYERS} layers, ${totalMB.toFixed(0)} MB (gzip, local registry)`,
      tool: 'tscompose engine',
      medianMs: ours.medianMs,
      spreadMs: ours.spreadMs,
    };
    if (await ensureDockerd()) {
      spawnSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });
      const peer = await time(() => {
        const r = spawnSync('docker', ['pull', '-q', ref], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`docker pull failed: ${r.stderr}`);
        spawnSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });
      }, RUNS);
      row.peer = 'docker pull (dockerd 20.10)';
      row.peerMedianMs = peer.medianMs;
    }
    return [row];
  } finally {
    await srv.close();
    await reg.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runPullBench();
  process.stdout.write(markdownTable(rows));
  for (const r of rows) {
    const mb = Number(/(\d+) MB/.exec(r.case)?.[1] ?? 0);
    process.stdout.write(
      `\n${r.tool}: ${(mb / (r.medianMs / 1000)).toFixed(1)} MB/s` +
        (r.peerMedianMs ? `; ${r.peer}: ${(mb / (r.peerMedianMs / 1000)).toFixed(1)} MB/s\n` : '\n'),
    );
  }
  process.exit(0);
}
