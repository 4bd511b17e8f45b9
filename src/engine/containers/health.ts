// Healthchecks as Docker runs them: CMD / CMD-SHELL probes exec'd in the container every interval, a
// timeout per probe, failures counted after the start period, unhealthy after `retries` failures in a row.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import { exitCodeOf } from '../runtime/exit-code.js';
import { execProcessSpec } from './exec.js';
import type { ContainerRecord, HealthProbe } from './record.js';

const NS_PER_MS = 1e6;
const DEFAULTS = { interval: 30_000, timeout: 30_000, retries: 3, startPeriod: 0 };
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

export function probeArgs(test: string[] | undefined): string[] | undefined {
  if (!test?.length || test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ')];
  return test; // a bare command, as some clients send
}

export interface HealthHost {
  runtime: OciRuntime;
  tmpDir: string;
  save(rec: ContainerRecord): Promise<void>;
  publish(rec: ContainerRecord, action: string): void;
}

export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly host: HealthHost) {}

  /** Starts probing a running container that has a healthcheck; keeps its last Health when adopting. */
  watch(rec: ContainerRecord, adopting = false): void {
    this.unwatch(rec.id);
    const hc = rec.config.Healthcheck;
    const args = probeArgs(hc?.Test);
    if (!args) {
      delete rec.state.health;
      return;
    }
    const interval = hc?.Interval ? hc.Interval / NS_PER_MS : DEFAULTS.interval;
    const timeout = hc?.Timeout ? hc.Timeout / NS_PER_MS : DEFAULTS.timeout;
    const retries = hc?.Retries || DEFAULTS.retries;
    const startPeriod = hc?.StartPeriod ? hc.StartPeriod / NS_PER_MS : DEFAULTS.startPeriod;
    if (!adopting || !rec.state.health) rec.state.health = { status: 'starting', failingStreak: 0, log: [] };
    const tick = async () => {
      if (!rec.state.running) return;
      const result = await this.probe(rec, args, timeout);
      if (!rec.state.running || !this.timers.has(rec.id)) return;
      const health = rec.state.health!;
      health.log = [...health.log, result].slice(-MAX_LOG);
      const before = health.status;
      if (result.exitCode === 0) {
        health.failingStreak = 0;
        health.status = 'healthy';
      } else if (Date.now() - Date.parse(rec.state.startedAt) >= startPeriod || before === 'healthy') {
        health.failingStreak++;
        if (health.failingStreak >= retries) health.status = 'unhealthy';
      }
      await this.host.save(rec).catch(() => {});
      if (health.status !== before) this.host.publish(rec, `health_status: ${health.status}`);
      if (this.timers.has(rec.id)) this.timers.set(rec.id, setTimeout(tick, interval));
    };
    this.timers.set(rec.id, setTimeout(tick, interval));
  }

  unwatch(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  close(): void {
    for (const id of [...this.timers.keys()]) this.unwatch(id);
  }

  private async probe(rec: ContainerRecord, args: string[], timeoutMs: number): Promise<HealthProbe> {
    const start = new Date().toISOString();
    const file = path.join(this.host.tmpDir, `health-${randomBytes(6).toString('hex')}.json`);
    await writeFile(file, JSON.stringify(execProcessSpec(rec, { args })));
    try {
      const child = this.host.runtime.spawn(['exec', '--process', file, rec.id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const collect = (d: Buffer) => {
        if (output.length < MAX_OUTPUT) output += d.toString('utf8');
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      const code = await new Promise<number>((resolve) => {
        child.on('error', () => resolve(-1));
        child.on('close', (c, s) => resolve(exitCodeOf(c, s)));
      });
      clearTimeout(timer);
      if (timedOut) return { start, end: new Date().toISOString(), exitCode: -1, output: `Health check exceeded timeout (${timeoutMs}ms)` };
      return { start, end: new Date().toISOString(), exitCode: code, output: output.slice(0, MAX_OUTPUT) };
    } finally {
      await rm(file, { force: true });
    }
  }
}
