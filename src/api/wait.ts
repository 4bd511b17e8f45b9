// Wait strategies: how up() decides a replica is ready. Each strategy is a probe polled until it says
// ready, says the container can never become ready, or its deadline passes.
import http from 'node:http';
import net from 'node:net';
import type { ServiceContainer } from './container.js';
import { WaitError } from './errors.js';

export type ProbeResult = { ready: true } | { ready: false; reason: string; fatal?: boolean };

export abstract class WaitStrategy {
  /** set by withTimeout(); otherwise up()'s timeout applies */
  timeoutMs?: number;
  /** what is awaited, for error messages: "a log line matching /ready/" */
  abstract readonly description: string;
  /** one look at the container */
  abstract probe(container: ServiceContainer, state: ContainerState): Promise<ProbeResult>;
  /** whether a stopped container may still satisfy this strategy (only successful-exit does) */
  readonly acceptsExited: boolean = false;

  withTimeout(ms: number): this {
    this.timeoutMs = ms;
    return this;
  }
}

export interface ContainerState {
  running: boolean;
  status: string;
  exitCode: number;
  health?: string;
  restarting: boolean;
}

const POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function containerState(container: ServiceContainer): Promise<ContainerState> {
  const s = (await container.inspect()).State;
  return { running: s.Running, status: s.Status, exitCode: s.ExitCode, health: s.Health?.Status, restarting: s.Restarting };
}

/** Polls `strategy` until ready; throws WaitError naming the service with its last log lines. */
export async function waitUntilReady(container: ServiceContainer, strategy: WaitStrategy, defaultTimeoutMs: number): Promise<void> {
  const deadline = Date.now() + (strategy.timeoutMs ?? defaultTimeoutMs);
  let reason = 'not checked yet';
  for (;;) {
    let fatal = false;
    try {
      const state = await containerState(container);
      if (!state.running && !state.restarting && !strategy.acceptsExited && state.status !== 'created') {
        reason = `the container is ${state.status} (exit code ${state.exitCode})`;
        fatal = true;
      } else {
        const result = await strategy.probe(container, state);
        if (result.ready) return;
        reason = result.reason;
        fatal = Boolean(result.fatal);
      }
    } catch (err) {
      reason = (err as Error).message;
    }
    if (fatal || Date.now() >= deadline) {
      const why = fatal ? reason : `timed out after ${strategy.timeoutMs ?? defaultTimeoutMs} ms (${reason})`;
      throw new WaitError(container.service, container.name, strategy.description, why, await container.lastLogLines());
    }
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

class RunningStrategy extends WaitStrategy {
  readonly description = 'the container to run';
  async probe(_c: ServiceContainer, state: ContainerState): Promise<ProbeResult> {
    return state.running ? { ready: true } : { ready: false, reason: `the container is ${state.status}` };
  }
}

/** What `up --wait` does for a service without a compose healthcheck: running, and healthy when
 *  its image brings a healthcheck of its own. */
class RunningOrHealthyStrategy extends WaitStrategy {
  readonly description = 'the container to run (and be healthy if its image has a healthcheck)';
  async probe(_c: ServiceContainer, state: ContainerState): Promise<ProbeResult> {
    if (!state.running) return { ready: false, reason: `the container is ${state.status}` };
    if (state.health === undefined || state.health === 'healthy') return { ready: true };
    return { ready: false, reason: `health status is "${state.health}"` };
  }
}

export const runningOrHealthy = (): WaitStrategy => new RunningOrHealthyStrategy();

class HealthyStrategy extends WaitStrategy {
  readonly description = 'its healthcheck to pass';
  async probe(_c: ServiceContainer, state: ContainerState): Promise<ProbeResult> {
    if (state.health === undefined)
      return {
        ready: false,
        reason:
          'the container has no health status (the service and its image define no healthcheck, or the engine does not run healthchecks)',
        fatal: true,
      };
    if (state.health === 'healthy') return { ready: true };
    return { ready: false, reason: `health status is "${state.health}"` };
  }
}

class SuccessfulExitStrategy extends WaitStrategy {
  readonly description = 'the container to exit with code 0';
  override readonly acceptsExited = true;
  async probe(_c: ServiceContainer, state: ContainerState): Promise<ProbeResult> {
    if (state.running || state.restarting || state.status === 'created')
      return { ready: false, reason: `the container is ${state.status}` };
    return state.exitCode === 0
      ? { ready: true }
      : { ready: false, reason: `the container exited with code ${state.exitCode}`, fatal: true };
  }
}

class LogLineStrategy extends WaitStrategy {
  readonly description: string;
  private readonly pattern: RegExp;
  constructor(
    pattern: RegExp | string,
    private readonly count: number,
  ) {
    super();
    this.pattern =
      typeof pattern === 'string'
        ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        : new RegExp(pattern.source, pattern.flags.replace('g', ''));
    this.description = `${count === 1 ? 'a log line' : `${count} log lines`} matching ${this.pattern}`;
  }
  async probe(container: ServiceContainer): Promise<ProbeResult> {
    let seen = 0;
    for await (const line of container.logs()) if (this.pattern.test(line)) seen++;
    return seen >= this.count ? { ready: true } : { ready: false, reason: `${seen} of ${this.count} matching lines so far` };
  }
}

/** Where the host reaches a container port: the container's own address when it has one (no proxy
 *  in between that would accept connections nobody serves), else the published port on loopback. */
async function reachable(container: ServiceContainer, port: number): Promise<{ host: string; port: number }> {
  const info = await container.inspect();
  const address = Object.values(info.NetworkSettings?.Networks ?? {})
    .map((n) => n.IPAddress)
    .find(Boolean);
  if (address) return { host: address, port };
  return { host: '127.0.0.1', port: await container.port(port) };
}

class PortStrategy extends WaitStrategy {
  readonly description: string;
  constructor(private readonly port: number) {
    super();
    this.description = `port ${port}/tcp to accept connections`;
  }
  async probe(container: ServiceContainer): Promise<ProbeResult> {
    const target = await reachable(container, this.port);
    const error = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect(target);
      socket.setTimeout(1000, () => {
        socket.destroy();
        resolve('connection timed out');
      });
      socket.once('connect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('error', (err) => resolve(err.message));
    });
    return error === undefined ? { ready: true } : { ready: false, reason: `${target.host}:${target.port}: ${error}` };
  }
}

export interface HttpWaitOptions {
  /** container port (default 80) */
  port?: number;
  /** expected status code, or a test of it (default 200) */
  status?: number | ((status: number) => boolean);
  /** the body must match this */
  body?: RegExp;
  method?: string;
  headers?: Record<string, string>;
}

class HttpStrategy extends WaitStrategy {
  readonly description: string;
  constructor(
    private readonly path: string,
    private readonly opts: HttpWaitOptions,
  ) {
    super();
    const status = typeof opts.status === 'function' ? 'an accepted status' : `status ${opts.status ?? 200}`;
    this.description = `HTTP ${opts.method ?? 'GET'} ${path} on port ${opts.port ?? 80} to answer ${status}${opts.body ? ` with a body matching ${opts.body}` : ''}`;
  }
  async probe(container: ServiceContainer): Promise<ProbeResult> {
    const target = await reachable(container, this.opts.port ?? 80);
    const answer = await new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
      const req = http.request(
        {
          host: target.host,
          port: target.port,
          path: this.path,
          method: this.opts.method ?? 'GET',
          headers: this.opts.headers,
          timeout: 2000,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => resolve({ error: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', (err) => resolve({ error: err.message }));
      req.end();
    });
    if ('error' in answer) return { ready: false, reason: `${target.host}:${target.port}: ${answer.error}` };
    const want = this.opts.status ?? 200;
    const statusOk = typeof want === 'function' ? want(answer.status) : answer.status === want;
    if (!statusOk) return { ready: false, reason: `got status ${answer.status}` };
    if (this.opts.body && !this.opts.body.test(answer.body)) return { ready: false, reason: 'the body does not match' };
    return { ready: true };
  }
}

export type ReadinessPredicate = (container: ServiceContainer) => boolean | Promise<boolean>;

class PredicateStrategy extends WaitStrategy {
  constructor(
    private readonly predicate: ReadinessPredicate,
    readonly description: string,
  ) {
    super();
  }
  async probe(container: ServiceContainer): Promise<ProbeResult> {
    return (await this.predicate(container)) ? { ready: true } : { ready: false, reason: 'the predicate returned false' };
  }
}

class AllStrategy extends WaitStrategy {
  readonly description: string;
  constructor(private readonly strategies: WaitStrategy[]) {
    super();
    this.description = strategies.map((s) => s.description).join(' and ');
  }
  async probe(container: ServiceContainer, state: ContainerState): Promise<ProbeResult> {
    for (const s of this.strategies) {
      const r = await s.probe(container, state);
      if (!r.ready) return { ...r, reason: `${s.description}: ${r.reason}` };
    }
    return { ready: true };
  }
}

/** The wait strategies, e.g. `Wait.forLogLine(/ready/)`, `Wait.forHttp('/health', { port: 8080 })`. */
export const Wait = {
  /** the container is running (the default for services without a healthcheck) */
  forRunning: (): WaitStrategy => new RunningStrategy(),
  /** the service's healthcheck reports healthy (the default for services with one) */
  forHealthy: (): WaitStrategy => new HealthyStrategy(),
  /** a one-shot service exited with code 0 */
  forSuccessfulExit: (): WaitStrategy => new SuccessfulExitStrategy(),
  /** `count` log lines (stdout or stderr) match; a string matches literally */
  forLogLine: (pattern: RegExp | string, opts: { count?: number } = {}): WaitStrategy => new LogLineStrategy(pattern, opts.count ?? 1),
  /** a TCP connection to the container port succeeds */
  forPort: (port: number): WaitStrategy => new PortStrategy(port),
  /** an HTTP request answers the expected status (and body) */
  forHttp: (path = '/', opts: HttpWaitOptions = {}): WaitStrategy => new HttpStrategy(path, opts),
  /** your own check, polled until it returns true */
  until: (predicate: ReadinessPredicate, description = 'a custom readiness check'): WaitStrategy =>
    new PredicateStrategy(predicate, description),
  /** every strategy, in order */
  all: (...strategies: WaitStrategy[]): WaitStrategy => new AllStrategy(strategies),
};
