// The containers of a compose service, found by docker compose's labels, and the few things watch does to them.
import type { EngineClient } from '../client/engine-client.js';
import { isOneoff, LABEL, serviceFilter } from '../labels.js';
import { byCodepoint } from '../codepoint-order.js';

export interface ServiceContainer {
  id: string;
  name: string;
  running: boolean;
  imageId: string;
}

export async function findServiceContainers(engine: EngineClient, project: string, service: string): Promise<ServiceContainer[]> {
  const list = await engine.listContainers({ all: true, filters: serviceFilter(project, service) });
  return (
    list
      // checked here as well: an engine that applies only one of several label filters must not widen the match
      .filter((c) => c.Labels?.[LABEL.project] === project && c.Labels?.[LABEL.service] === service && !isOneoff(c.Labels))
      .map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''), running: c.State === 'running', imageId: c.ImageID }))
      .sort((a, b) => byCodepoint(a.name, b.name))
  );
}

export interface ExecOptions {
  command: string[];
  user?: string;
  privileged?: boolean;
  workingDir?: string;
  env?: string[];
}

/** Runs a command in a running container to completion; resolves with its exit code and combined output. */
export async function execInContainer(engine: EngineClient, id: string, opts: ExecOptions): Promise<{ exitCode: number; output: string }> {
  const exec = await engine.createExec(id, {
    Cmd: opts.command,
    User: opts.user,
    Privileged: opts.privileged,
    WorkingDir: opts.workingDir,
    Env: opts.env,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ stdin: false, tty: false });
  const chunks: Buffer[] = [];
  const collector = {
    write: (c: Buffer) => {
      chunks.push(c);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  engine.demuxStream(stream, collector, collector);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  // the output can end a moment before the engine records the exit code
  for (let i = 0; i < 100; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, output: Buffer.concat(chunks).toString('utf8') };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`exec of ${opts.command.join(' ')} did not report an exit code`);
}

const RM_BATCH = 500;

/** Deletes paths inside the container (files or whole trees) with `rm -rf --`. */
export async function removeInContainer(engine: EngineClient, id: string, paths: string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += RM_BATCH) {
    const { exitCode, output } = await execInContainer(engine, id, { command: ['rm', '-rf', '--', ...paths.slice(i, i + RM_BATCH)] });
    if (exitCode !== 0) throw new Error(`rm -rf in the container failed (exit ${exitCode}): ${output.trim()}`);
  }
}

/** Extracts a tar stream at "/" in the container (PUT /containers/{id}/archive). */
export async function putArchive(engine: EngineClient, id: string, tar: NodeJS.ReadableStream): Promise<void> {
  await engine.putArchive(id, tar, '/');
}
