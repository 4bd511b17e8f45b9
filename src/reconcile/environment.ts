// A service's container environment: env_file entries, then `environment:`; a variable listed
// without a value passes the composer's own environment through (and is dropped when unset there).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';
import type { Project, Service } from '../model/types.js';
import { UserError } from '../errors.js';

export function serviceEnvironment(project: Project, service: Service, shell: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ref of service.envFiles) {
    const file = path.resolve(project.workingDir, ref.path);
    if (!existsSync(file)) {
      if (ref.required) throw new UserError(`service "${service.name}": env file ${file} not found`);
      continue;
    }
    Object.assign(env, parse(readFileSync(file)));
  }
  for (const [key, value] of Object.entries(service.environment)) {
    if (value !== null) env[key] = value;
    else {
      const passed = shell[key] ?? project.environment[key];
      if (passed !== undefined) env[key] = passed;
      else delete env[key];
    }
  }
  return env;
}
