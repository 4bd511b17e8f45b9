// Secrets and configs. Their data is read once (file, environment or inline content), and each one is
// named after its content: `<project>_<key>_<hash>`. Swarm objects are immutable, so a new content is
// a new object, the services referring to it get a new spec and roll; unchanged ones are untouched.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Project, SecretOrConfig } from '../model/types.js';
import { UserError } from '../errors.js';
import { SWARM_LABEL, stackName } from './labels.js';
import type { SwarmObjectSpec } from './spec-types.js';

export type ObjectKind = 'secret' | 'config';

/** Which key of the stack an object holds: lets `down` and the pruning find ours. */
export const OBJECT_KEY_LABEL = 'com.tscompose.swarm.key';

/** Swarm refuses secrets and configs over 500 KiB: say so before the API does, with the key. */
const MAX_OBJECT_BYTES = 500 * 1024;

/** The bytes of a secret or config, read from the place the model says. */
export function readObjectData(project: Project, kind: ObjectKind, def: SecretOrConfig): Buffer {
  let data: Buffer;
  if (def.file !== undefined) {
    const file = path.resolve(project.workingDir, def.file);
    try {
      data = readFileSync(file);
    } catch (err) {
      throw new UserError(`${kind} "${def.key}": cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (def.environment !== undefined) {
    const value = project.environment[def.environment] ?? process.env[def.environment];
    if (value === undefined) throw new UserError(`${kind} "${def.key}": environment variable ${def.environment} is not set`);
    data = Buffer.from(value);
  } else if (def.content !== undefined) {
    data = Buffer.from(def.content);
  } else {
    throw new UserError(`${kind} "${def.key}" has no file, environment or content`);
  }
  if (data.length > MAX_OBJECT_BYTES)
    throw new UserError(`${kind} "${def.key}" is ${data.length} bytes: Swarm accepts at most ${MAX_OBJECT_BYTES}`);
  return data;
}

export const contentHash = (data: Buffer): string => createHash('sha256').update(data).digest('hex').slice(0, 12);

/** The name of a non-external object: stable while its content is. Swarm names stop at 64 characters. */
export function objectName(project: string, key: string, data: Buffer): string {
  const name = `${stackName(project, key)}_${contentHash(data)}`;
  if (name.length > 64)
    throw new UserError(
      `secret/config "${key}": the name ${name} is longer than Swarm's 64 characters; shorten the key or the project name`,
    );
  return name;
}

export function objectSpec(project: string, kind: ObjectKind, def: SecretOrConfig, data: Buffer): SwarmObjectSpec {
  return {
    Name: objectName(project, def.key, data),
    Labels: { ...def.labels, [SWARM_LABEL.namespace]: project, [OBJECT_KEY_LABEL]: def.key },
    Data: data.toString('base64'),
    ...(kind === 'secret' && def.driver
      ? { Driver: { Name: def.driver, ...(def.driverOpts && Object.keys(def.driverOpts).length ? { Options: def.driverOpts } : {}) } }
      : {}),
    ...(def.templateDriver ? { Templating: { Name: def.templateDriver } } : {}),
  };
}
