// Exec instances on disk, one JSON file each (<state root>/execs/<id>.json), so that an exec started before
// an engine restart is still known after it: running (its exec console outlives the engine) or with its
// exit code.
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecInstance } from './exec.js';

const RECORD = /^([0-9a-f]{64})\.json$/;

export class ExecRecords {
  constructor(private readonly dir: string) {}

  save(ex: ExecInstance): void {
    const file = path.join(this.dir, `${ex.ID}.json`);
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(ex));
      renameSync(`${file}.tmp`, file);
    } catch {
      /* the state root is going away: the exec is then not kept across a restart */
    }
  }

  remove(id: string): void {
    rmSync(path.join(this.dir, `${id}.json`), { force: true });
  }

  /** One record, if it is there and parses as an exec instance. */
  read(id: string): ExecInstance | undefined {
    try {
      const ex = JSON.parse(readFileSync(path.join(this.dir, `${id}.json`), 'utf8')) as ExecInstance;
      return ex.ID === id && typeof ex.ContainerID === 'string' && typeof ex.Running === 'boolean' ? ex : undefined;
    } catch {
      return undefined; // missing or damaged
    }
  }

  /** Every record that parses as an exec instance. */
  load(): ExecInstance[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: ExecInstance[] = [];
    for (const name of names) {
      const ex = RECORD.test(name) ? this.read(name.slice(0, -'.json'.length)) : undefined;
      if (ex) out.push(ex);
    }
    return out;
  }
}
