// A test stack in a temp dir and a runner for the built CLI against one engine.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI, type EngineTarget } from './engines.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Stack {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-e2e-stack-'));
  readonly project = `tsc-e2e-${randomBytes(4).toString('hex')}`;
  constructor(
    readonly engine: EngineTarget,
    compose: string,
  ) {
    this.write(compose);
  }

  write(compose: string): void {
    writeFileSync(path.join(this.dir, 'compose.yaml'), compose);
  }

  /** Runs the CLI on this stack; `input`, when given, is written to its stdin, which is then closed (otherwise
   *  stdin stays open, as under a harness that never closes it). */
  cli(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000, input?: string): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [CLI, ...this.engine.flags, '-p', this.project, ...args],
        {
          cwd: this.dir,
          timeout: timeoutMs,
          maxBuffer: 16 * 1024 * 1024,
          env: { ...process.env, ...this.engine.env, CI: '1', NO_COLOR: '1', ...env },
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  async containers(all = true) {
    return this.engine.docker.listContainers({ all, filters: { label: [`com.docker.compose.project=${this.project}`] } });
  }

  async idsByName(): Promise<Record<string, string>> {
    return Object.fromEntries((await this.containers()).map((c) => [c.Names[0].slice(1), c.Id]));
  }

  async cleanup(): Promise<void> {
    await this.cli(['down', '--volumes', '--remove-orphans', '--rmi', 'local', '-t', '0']);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
