// Every replica's logs from every node, through the manager: one service-logs stream per service,
// asked with `details` so each line names its task and node (the prefix "web.2@node-3  | ").
import type Docker from 'dockerode';
import { LogDecoder, type LogLine } from '../cli/output/log-stream.js';

export interface TaskLogLine extends LogLine {
  service: string;
  task: string;
}

export interface StackLogQuery {
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
  since?: number;
}

/** `com.docker.swarm.node.id=…,com.docker.swarm.service.id=…,com.docker.swarm.task.id=… text` → details and text. */
export function splitDetails(line: string): { details: Record<string, string>; text: string } {
  const space = line.indexOf(' ');
  const head = space < 0 ? line : line.slice(0, space);
  if (!head.includes('com.docker.swarm.')) return { details: {}, text: line };
  const details = Object.fromEntries(
    head.split(',').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i), decodeURIComponent(kv.slice(i + 1))];
    }),
  );
  return { details, text: space < 0 ? '' : line.slice(space + 1) };
}

export interface LogNaming {
  taskSlots: Map<string, string>;
  nodeNames: Map<string, string>;
}

/** Streams the logs of `services` (Swarm service IDs with their compose names); resolves when all end. */
export async function streamServiceLogs(
  docker: Docker,
  services: { id: string; name: string }[],
  naming: LogNaming,
  q: StackLogQuery,
  onLine: (l: TaskLogLine) => void,
): Promise<void> {
  await Promise.all(
    services.map(async (svc) => {
      const decoder = new LogDecoder(true, (l) => {
        const { details, text } = splitDetails(l.text);
        const taskId = details['com.docker.swarm.task.id'] ?? '';
        const nodeId = details['com.docker.swarm.node.id'] ?? '';
        const slot = naming.taskSlots.get(taskId) ?? taskId.slice(0, 6);
        const node = naming.nodeNames.get(nodeId) ?? nodeId.slice(0, 12);
        onLine({ stream: l.stream, text, service: svc.name, task: `${svc.name}.${slot}${node ? `@${node}` : ''}` });
      });
      const opts = {
        stdout: true,
        stderr: true,
        details: true,
        timestamps: !!q.timestamps,
        follow: !!q.follow,
        ...(q.tail !== undefined ? { tail: q.tail } : {}),
        ...(q.since ? { since: q.since } : {}),
      };
      const result = (await docker.getService(svc.id).logs(opts as never)) as unknown;
      if (Buffer.isBuffer(result)) {
        decoder.push(result);
        decoder.end();
        return;
      }
      const stream = result as NodeJS.ReadableStream;
      await new Promise<void>((resolve) => {
        const done = () => {
          decoder.end();
          resolve();
        };
        stream.on('data', (c: Buffer) => decoder.push(c));
        stream.on('end', done);
        stream.on('close', done);
        stream.on('error', done);
      });
    }),
  );
}

/** The last lines a task wrote (for failure reports); empty when the node cannot be asked. */
export async function taskLogTail(docker: Docker, taskId: string, lines: number): Promise<string[]> {
  try {
    const out: string[] = [];
    const decoder = new LogDecoder(true, (l) => out.push(l.text));
    const buf = await (docker.getTask(taskId) as unknown as { logs(o: object): Promise<unknown> }).logs({
      stdout: true,
      stderr: true,
      follow: false,
      tail: lines,
    });
    decoder.push(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    decoder.end();
    return out.slice(-lines);
  } catch {
    return [];
  }
}
