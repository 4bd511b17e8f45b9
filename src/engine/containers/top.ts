// docker top: the host's `ps` output, narrowed to the container's processes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { invalid } from '../errors.js';

const execFileAsync = promisify(execFile);

export async function topProcesses(pids: number[], psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
  const wanted = new Set(pids.map(String));
  const { stdout } = await execFileAsync('ps', psArgs.split(/\s+/).filter(Boolean));
  const lines = stdout.trimEnd().split('\n');
  const titles = lines[0]!.trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw invalid(`Couldn't find PID field in ps output`);
  const processes = lines
    .slice(1)
    .map((l) => {
      const fields = l.trim().split(/\s+/);
      return [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    })
    .filter((f) => wanted.has(f[pidCol]!));
  return { Titles: titles, Processes: processes };
}
