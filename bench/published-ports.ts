// Published ports, bundled engine beside Docker Engine: the cost of `docker run -d -p 80` and `docker rm -f`
// (the DNAT rules are written and removed with the container), and 100 new HTTP connections to the published
// port on the host's non-loopback address (DNAT in the kernel on both engines; the bundled engine used to relay
// them through its userland proxy). Interleaved rounds, medians. Root; dockerd is started if installed.
//   node --import tsx bench/published-ports.ts [rounds]
import http from 'node:http';
import os from 'node:os';
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { bundledTarget, dockerTarget, type EngineTarget } from '../test/e2e/lifecycle/engines.js';
import { mustDocker } from '../test/e2e/network/cli.js';
import { BenchSkipped, markdownTable, timeInterleaved, type BenchRow } from './lib.js';

const IMAGE = 'tsc-bench/published-ports:latest';

/** The first IPv4 address of the host that is not loopback nor a bridge's. */
function hostAddress(): string | undefined {
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (/^(lo|docker|br-|tsc|veth)/.test(name)) continue;
    const v4 = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return undefined;
}

function get(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      })
      .on('error', reject);
  });
}

async function connections(host: string, port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await get(host, port);
}

export async function runPublishedPortsBench(rounds = 10): Promise<BenchRow[]> {
  const host = hostAddress();
  if (!host) throw new BenchSkipped('no non-loopback IPv4 address on this host');
  process.env.TSCOMPOSE_TEST_BUNDLED = '1';
  const bundled = await bundledTarget();
  const docker = await dockerTarget();
  if (!bundled || !docker) throw new BenchSkipped('both the bundled engine and Docker Engine are needed');
  const targets: EngineTarget[] = [bundled, docker];
  const ctx = busyboxContext(['RUN mkdir -p /www && echo hello > /www/index.html']);
  const servers: string[] = [];
  try {
    for (const t of targets) await mustDocker(t, ['build', '-q', '-t', IMAGE, ctx]);
    const ports: Record<string, number> = {};
    for (const t of targets) {
      const name = `bench-pp-${t.name}-${process.pid}`;
      servers.push(name);
      await mustDocker(t, ['run', '-d', '--name', name, '-p', '80', IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www']);
      ports[t.name] = Number(/:(\d+)$/m.exec(await mustDocker(t, ['port', name, '80/tcp']))![1]);
      for (let i = 0; i < 50; i++)
        if (
          await get(host, ports[t.name]!).then(
            () => true,
            () => false,
          )
        )
          break;
    }
    const runRm = (t: EngineTarget) => async () => {
      const id = await mustDocker(t, ['run', '-d', '-p', '80', IMAGE, 'sleep', '300']);
      await mustDocker(t, ['rm', '-f', id]);
    };
    const lifecycle = await timeInterleaved({ bundled: runRm(bundled), docker: runRm(docker) }, rounds);
    const traffic = await timeInterleaved(
      { bundled: () => connections(host, ports.bundled!, 100), docker: () => connections(host, ports.docker!, 100) },
      rounds,
    );
    const row = (c: string, m: typeof lifecycle): BenchRow => ({
      case: c,
      tool: 'tscompose engine',
      medianMs: m.bundled.medianMs,
      spreadMs: m.bundled.spreadMs,
      peer: 'dockerd 20.10',
      peerMedianMs: m.docker.medianMs,
    });
    return [row('docker run -d -p 80 + rm -f', lifecycle), row('100 new HTTP connections to a published port (host address)', traffic)];
  } finally {
    for (const [i, t] of targets.entries()) await mustDocker(t, ['rm', '-f', servers[i] ?? 'none']).catch(() => undefined);
    rmSync(ctx, { recursive: true, force: true });
    for (const t of targets) await t.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const rows = await runPublishedPortsBench(Number(process.argv[2] ?? 10));
  console.log(JSON.stringify(rows));
  console.log(markdownTable(rows));
}
