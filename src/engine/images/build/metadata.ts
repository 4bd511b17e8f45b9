// Instructions that only change the image config (ENV, LABEL, CMD …), shared by the builder and
// `docker import --change`.
import path from 'node:path';
import type { ImageRuntimeConfig } from '../../contracts.js';
import { DockerfileError, expand, type Instruction, parsePairs, splitWords } from './dockerfile.js';

export const METADATA_KEYWORDS = new Set([
  'ENV',
  'LABEL',
  'EXPOSE',
  'VOLUME',
  'WORKDIR',
  'USER',
  'STOPSIGNAL',
  'CMD',
  'ENTRYPOINT',
  'SHELL',
  'HEALTHCHECK',
  'MAINTAINER',
  'ONBUILD',
]);

const DEFAULT_SHELL = ['/bin/sh', '-c'];

export function envToMap(env: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    out[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

export function setEnv(config: ImageRuntimeConfig, key: string, value: string): void {
  config.Env = [...(config.Env ?? []).filter((e) => !e.startsWith(`${key}=`) && e !== key), `${key}=${value}`];
}

/** A command in shell form runs through the image's SHELL. */
export function commandOf(instr: Instruction, config: ImageRuntimeConfig): string[] {
  return instr.json ?? [...(config.Shell ?? DEFAULT_SHELL), instr.args];
}

/** Go-style durations as Docker's HEALTHCHECK flags take them ("30s", "1m30s", "500ms") → nanoseconds. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || text.length === 0) throw new DockerfileError(`invalid duration "${text}"`);
  return Math.round(total);
}

/** Applies one metadata instruction. `vars` are the build args and env visible for expansion. */
export function applyMetadata(config: ImageRuntimeConfig, instr: Instruction, vars: Record<string, string | undefined>): void {
  const x = (s: string) => expand(s, vars);
  switch (instr.keyword) {
    case 'ENV':
      for (const [k, v] of parsePairs(instr.args)) {
        const value = x(v);
        setEnv(config, k, value);
        vars[k] = value;
      }
      break;
    case 'LABEL':
      config.Labels = { ...(config.Labels ?? {}) };
      for (const [k, v] of parsePairs(instr.args)) config.Labels[x(k)] = x(v);
      break;
    case 'EXPOSE':
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}) };
      for (const p of splitWords(x(instr.args))) config.ExposedPorts[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
      break;
    case 'VOLUME':
      config.Volumes = { ...(config.Volumes ?? {}) };
      for (const v of instr.json ?? splitWords(x(instr.args))) config.Volumes[v] = {};
      break;
    case 'WORKDIR':
      config.WorkingDir = path.posix.resolve(config.WorkingDir || '/', x(instr.args));
      break;
    case 'USER':
      config.User = x(instr.args);
      break;
    case 'STOPSIGNAL':
      config.StopSignal = x(instr.args);
      break;
    case 'CMD':
      config.Cmd = commandOf(instr, config);
      break;
    case 'ENTRYPOINT':
      config.Entrypoint = commandOf(instr, config);
      break;
    case 'SHELL':
      if (!instr.json) throw new DockerfileError('SHELL requires the JSON form: SHELL ["executable", "parameters"]');
      config.Shell = instr.json;
      break;
    case 'HEALTHCHECK':
      config.Healthcheck = healthcheck(instr);
      break;
    case 'ONBUILD':
      config.OnBuild = [...(config.OnBuild ?? []), onBuildTrigger(instr)];
      break;
    case 'MAINTAINER':
      break;
    default:
      throw new DockerfileError(`${instr.keyword} is not a config instruction`);
  }
}

/** The trigger ONBUILD records, as the classic builder does: the instruction as written, unexpanded (it is
 *  expanded when it runs, in the child's build); a here-document goes with it. */
function onBuildTrigger(instr: Instruction): string {
  const trigger = instr.raw.trim();
  const keyword = /^\S*/.exec(trigger)![0].toUpperCase();
  const where = `dockerfile parse error line ${instr.line}`;
  if (!trigger) throw new DockerfileError(`${where}: ONBUILD requires at least one argument`);
  if (keyword === 'ONBUILD') throw new DockerfileError(`${where}: Chaining ONBUILD via \`ONBUILD ONBUILD\` isn't allowed`);
  if (keyword === 'FROM' || keyword === 'MAINTAINER') throw new DockerfileError(`${where}: ${keyword} isn't allowed as an ONBUILD trigger`);
  return trigger + (instr.heredocs ?? []).map((h) => `\n${h.content}${h.name}`).join('');
}

function healthcheck(instr: Instruction): ImageRuntimeConfig['Healthcheck'] {
  const words = instr.args.trim();
  if (/^none$/i.test(words)) return { Test: ['NONE'] };
  const m = /^cmd\s+([\s\S]*)$/i.exec(words);
  if (!m) throw new DockerfileError('HEALTHCHECK must be NONE or CMD <command>');
  const cmd = m[1]!.trim();
  let test: string[];
  try {
    const parsed = JSON.parse(cmd) as unknown;
    test = Array.isArray(parsed) ? ['CMD', ...parsed.map(String)] : ['CMD-SHELL', cmd];
  } catch {
    test = ['CMD-SHELL', cmd];
  }
  const f = instr.flags;
  return {
    Test: test,
    ...(f.interval ? { Interval: parseDuration(f.interval) } : {}),
    ...(f.timeout ? { Timeout: parseDuration(f.timeout) } : {}),
    ...(f['start-period'] ? { StartPeriod: parseDuration(f['start-period']) } : {}),
    ...(f['start-interval'] ? { StartInterval: parseDuration(f['start-interval']) } : {}),
    ...(f.retries ? { Retries: Number(f.retries) } : {}),
  };
}
