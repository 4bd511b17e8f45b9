// A handle on one running replica of a service: addresses, exec and logs through the engine API.
import type { ContainerDetails, EngineClient } from '../client/engine-client.js';
import { UserError } from '../errors.js';
import { collectStream, decodeAll, decodeStream, type LogLine } from './log-stream.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
}

export interface LogOptions {
  /** keep streaming new lines until the loop breaks or the container stops (default false) */
  follow?: boolean;
  /** only the last n lines */
  tail?: number;
  /** include stderr lines (default true) */
  stderr?: boolean;
  /** include stdout lines (default true) */
  stdout?: boolean;
}

export interface ContainerIdentity {
  id: string;
  name: string;
  service: string;
  /** replica number, starting at 1 like com.docker.compose.container-number */
  index: number;
}

/** Maps a compose network key ("default", "backend") to the engine's network name. */
export type NetworkNameResolver = (network: string) => string | undefined;

export class ServiceContainer implements ContainerIdentity {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly index: number;

  constructor(
    private readonly engine: EngineClient,
    identity: ContainerIdentity,
    private readonly networkName: NetworkNameResolver = () => undefined,
  ) {
    this.id = identity.id;
    this.name = identity.name;
    this.service = identity.service;
    this.index = identity.index;
  }

  inspect(): Promise<ContainerDetails> {
    return this.engine.inspectContainer(this.id);
  }

  /** The host port a container port is published on (loopback reaches it). */
  async port(containerPort: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> {
    const info = await this.inspect();
    const bindings = info.NetworkSettings?.Ports?.[`${containerPort}/${protocol}`] ?? [];
    const hostPort = bindings?.map((b) => Number(b.HostPort)).find((p) => p > 0);
    if (!hostPort) {
      const published = Object.entries(info.NetworkSettings?.Ports ?? {})
        .filter(([, b]) => b?.length)
        .map(([p]) => p);
      throw new UserError(
        `service "${this.service}" (${this.name}) does not publish port ${containerPort}/${protocol}; published: ${published.join(', ') || 'none'}`,
      );
    }
    return hostPort;
  }

  /** The container's address on a network: a compose network key ("default") or an engine network name.
   *  Without a name, the only network the container is on. */
  async ip(network?: string): Promise<string> {
    const info = await this.inspect();
    const networks = info.NetworkSettings?.Networks ?? {};
    const names = Object.keys(networks);
    let name: string | undefined;
    if (network === undefined) {
      if (names.length !== 1)
        throw new UserError(`service "${this.service}" (${this.name}) is on ${names.length} networks (${names.join(', ')}): say which one`);
      name = names[0];
    } else {
      name = [this.networkName(network), network].find((n) => n !== undefined && networks[n]);
    }
    const address = name ? networks[name]?.IPAddress : undefined;
    if (!address)
      throw new UserError(
        `service "${this.service}" (${this.name}) has no address on network "${network}"; its networks: ${names.join(', ') || 'none'}`,
      );
    return address;
  }

  /** Runs a command inside the container; a string runs with `sh -c`. */
  async exec(command: string | string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const cmd = typeof command === 'string' ? ['sh', '-c', command] : command;
    const exec = await this.engine.createExec(this.id, {
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
      Env: opts.env ? Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) : undefined,
      User: opts.user,
      WorkingDir: opts.workingDir,
    });
    const stream = await exec.start({ stdin: false, tty: false });
    const out = await collectStream(stream, false);
    let exitCode: number | null = null;
    // the exit code can lag the end of the stream by a moment
    for (let i = 0; i < 50 && exitCode === null; i++) {
      const state = await exec.inspect();
      if (!state.Running && state.ExitCode !== null) exitCode = state.ExitCode;
      else await new Promise((r) => setTimeout(r, 20));
    }
    return { exitCode: exitCode ?? -1, stdout: out.stdout, stderr: out.stderr };
  }

  /** The container's log lines as an async iterable; with `follow` it keeps going until you break. */
  async *logs(opts: LogOptions = {}): AsyncGenerator<string> {
    for await (const line of this.logLines(opts)) yield line.text;
  }

  /** Like logs(), with the stream each line came from. */
  async *logLines(opts: LogOptions = {}): AsyncGenerator<LogLine> {
    const tty = Boolean((await this.inspect()).Config?.Tty);
    const base = { stdout: opts.stdout ?? true, stderr: opts.stderr ?? true, tail: opts.tail };
    if (!opts.follow) {
      yield* decodeAll(await this.engine.containerLogs(this.id, base), tty);
      return;
    }
    const stream = await this.engine.followContainerLogs(this.id, base);
    try {
      yield* decodeStream(stream, tty);
    } finally {
      (stream as unknown as { destroy?: () => void }).destroy?.();
    }
  }

  /** The last n log lines, both streams, for error messages. */
  async lastLogLines(n = 20): Promise<string[]> {
    try {
      const lines: string[] = [];
      for await (const line of this.logs({ tail: n })) lines.push(line);
      return lines;
    } catch {
      return [];
    }
  }
}
