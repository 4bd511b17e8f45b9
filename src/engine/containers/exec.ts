// Exec instances: create, start (attached with or without a TTY, or detached), inspect; run with `runc exec`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { underPty } from '../runtime/tty.js';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Duplex, Writable } from 'node:stream';
import { badRequest, conflict, notFound } from '../api/http.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import { buildRlimits, effectiveCapabilities } from '../runtime/spec.js';
import { parseSecurityOpt } from './security.js';
import { resolveUser, userTablesAt } from '../runtime/users.js';
import { exitCodeOf } from '../runtime/exit-code.js';
import { mergeEnv } from './create-config.js';
import { frame } from './logs.js';
import type { ContainerService } from './service.js';
import type { ContainerRecord } from './record.js';

export interface ExecInstance {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  CanRemove: boolean;
  DetachKeys: string;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  env: string[];
  workingDir: string;
}

export class ExecService {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(private readonly containers: ContainerService, private readonly runtime: OciRuntime, private readonly tmpDir: string) {}

  idsFor(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.ContainerID === containerId).map((e) => e.ID);
  }

  create(ref: string, body: Record<string, any>): { Id: string } {
    const rec = this.containers.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`);
    if (rec.State.Paused) throw conflict(`Container ${rec.Id} is paused, unpause the container before exec`);
    const cmd = (body.Cmd as string[] | undefined) ?? [];
    if (!cmd.length) throw badRequest('No exec command specified');
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      ID: id, ContainerID: rec.Id, Running: false, ExitCode: null, Pid: 0, OpenStdin: Boolean(body.AttachStdin),
      OpenStdout: Boolean(body.AttachStdout), OpenStderr: Boolean(body.AttachStderr), CanRemove: false, DetachKeys: body.DetachKeys ?? '',
      ProcessConfig: { tty: Boolean(body.Tty), entrypoint: cmd[0]!, arguments: cmd.slice(1), privileged: Boolean(body.Privileged), user: body.User ?? '' },
      env: body.Env ?? [], workingDir: body.WorkingDir ?? '',
    });
    return { Id: id };
  }

  get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  inspect(id: string): Record<string, unknown> {
    const { env: _env, workingDir: _wd, ...view } = this.get(id);
    return view;
  }

  /** Runs the exec; output goes to `out` (framed unless TTY), `input` feeds its stdin. Resolves on exit. */
  async start(id: string, io: { out?: Writable | Duplex; input?: Duplex | NodeJS.ReadableStream; tty?: boolean }): Promise<number> {
    const ex = this.get(id);
    if (ex.Running || ex.ExitCode !== null) throw conflict(`Error: Exec command ${id} has already run`);
    const rec = this.containers.get(ex.ContainerID);
    if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`);
    const tty = io.tty ?? ex.ProcessConfig.tty;
    let processSpec: Record<string, unknown>;
    try {
      processSpec = execProcessSpec(rec, {
        args: [ex.ProcessConfig.entrypoint, ...ex.ProcessConfig.arguments], env: ex.env, user: ex.ProcessConfig.user,
        workingDir: ex.workingDir, tty, privileged: ex.ProcessConfig.privileged,
      });
    } catch (err) {
      ex.ExitCode = 126; // what Docker records for an exec its runtime could not start
      throw err;
    }
    const file = path.join(this.tmpDir, `exec-${id}.json`);
    await writeFile(file, JSON.stringify(processSpec));
    ex.Running = true;
    const runcArgs = this.runtime.args('exec', '--process', file, rec.Id);
    const cmd = tty ? underPty(this.runtime.binary, runcArgs) : { command: this.runtime.binary, args: runcArgs };
    const child = spawn(cmd.command, cmd.args, { stdio: [ex.OpenStdin || tty ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    ex.Pid = child.pid ?? 0;
    const write = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (!io.out || io.out.destroyed) return;
      io.out.write(tty ? chunk : frame(stream, chunk));
    };
    child.stdout!.on('data', ex.OpenStdout || !io.out ? write('stdout') : () => {});
    child.stderr!.on('data', ex.OpenStderr || !io.out ? write('stderr') : () => {});
    if (child.stdin && io.input && ex.OpenStdin) {
      child.stdin.on('error', () => {});
      io.input.on('data', (d: Buffer) => child.stdin!.write(d));
      io.input.on('end', () => child.stdin!.end());
    }
    if (!io.input) child.stdin?.on('error', () => {});
    const code = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(126));
      child.on('close', (c, s) => resolve(exitCodeOf(c, s)));
    });
    child.stdin?.destroy();
    ex.Running = false;
    ex.ExitCode = code;
    await rm(file, { force: true });
    return code;
  }
}

/** The OCI process for `runc exec --process` in a running container: the container's user (looked up in
 *  its filesystem as it sees it), env, capabilities and rlimits, overridable. */
export function execProcessSpec(rec: ContainerRecord, o: { args: string[]; env?: string[]; user?: string; workingDir?: string; tty?: boolean; privileged?: boolean }): Record<string, unknown> {
  const user = resolveUser(userTablesAt(`/proc/${rec.State.Pid}/root`), o.user || rec.Config.User);
  const caps = effectiveCapabilities(rec.HostConfig.CapAdd ?? [], rec.HostConfig.CapDrop ?? [], rec.HostConfig.Privileged || o.privileged);
  return {
    terminal: Boolean(o.tty), user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) },
    args: o.args, env: mergeEnv(rec.Config.Env, o.env ?? []),
    cwd: o.workingDir || rec.Config.WorkingDir || '/', capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] },
    rlimits: buildRlimits(rec.HostConfig.Ulimits ?? undefined), noNewPrivileges: parseSecurityOpt(rec.HostConfig.SecurityOpt).noNewPrivileges,
  };
}
