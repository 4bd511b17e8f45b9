// From the merged canonical document to a Project: profiles applied, env files read into the
// environment, the default network added, every reference to a service, network, volume,
// secret or config checked, and resources no enabled service uses left out.
import { UserError } from '../errors.js';
import type { Project, Service } from './types.js';
import { isMap, type PlainMap } from './located.js';
import { problemAt } from './problems.js';
import { toModel, toNetwork, toSecretOrConfig, toService, toVolume } from './to-model.js';
import { activeProfiles, isEnabled } from './profiles.js';
import { readEnvFile, readRawEnvFile, type Environment } from './env.js';
import { existsSync } from 'node:fs';
import { closest } from './did-you-mean.js';
import { checkProjectConsistency, checkServiceConsistency } from './consistency.js';

const didYouMean = (word: string, known: string[]): string => {
  const guess = closest(word, known);
  return guess ? ` (did you mean "${guess}"?)` : '';
};

export interface BuildInputs {
  name: string;
  workingDir: string;
  configFiles: string[];
  environment: Environment;
  profiles: string[];
  targets: string[];
  warnings: string[];
}

export function buildProject(doc: PlainMap, inp: BuildInputs): Project {
  const rawServices = isMap(doc.services) ? doc.services : {};
  const profilesOf: Record<string, string[]> = {};
  for (const [name, s] of Object.entries(rawServices))
    profilesOf[name] = Array.isArray((s as PlainMap)?.profiles) ? ((s as PlainMap).profiles as string[]).map(String) : [];
  for (const t of inp.targets) {
    if (!(t in rawServices)) throw new UserError(`no such service: ${t}`);
  }
  const active = activeProfiles(inp.profiles, inp.targets, profilesOf);

  const services: Record<string, Service> = {};
  const disabledServices: Record<string, Service> = {};
  const serviceNames = Object.keys(rawServices);
  for (const name of [...serviceNames].sort()) {
    const raw = (rawServices[name] ?? {}) as PlainMap;
    if (!isMap(rawServices[name]) && rawServices[name] !== null) throw problemAt(doc, ['services', name], 'a service must be a mapping');
    const svc = toService(name, raw, serviceEnvironment(doc, name, raw, inp.environment), inp.workingDir);
    svc.labels = { ...labelFiles(doc, name, raw, inp.environment), ...svc.labels };
    // a build arg written without a value takes the project environment's value, when there is one
    for (const [k, v] of Object.entries(svc.build?.args ?? {}))
      if (v === null && inp.environment[k] !== undefined) svc.build!.args[k] = inp.environment[k]!;
    addImplicitDependencies(svc);
    if (raw.scale !== undefined && svc.deploy?.replicas !== undefined && Number(raw.scale) !== svc.deploy.replicas) {
      throw problemAt(
        doc,
        ['services', name, 'scale'],
        `scale (${String(raw.scale)}) and deploy.replicas (${svc.deploy.replicas}) disagree: set only one of them`,
      );
    }
    if (!svc.image && !svc.build && !svc.provider)
      throw problemAt(doc, ['services', name], `service "${name}" has neither an image nor a build context specified`, 'key');
    const enabled = isEnabled(svc.profiles, active);
    if (enabled) checkServiceConsistency(doc, svc, serviceNames);
    (enabled ? services : disabledServices)[name] = svc;
  }

  checkServiceReferences(doc, services, disabledServices, inp.warnings);
  checkProjectConsistency(doc, services);

  const networkDefs = isMap(doc.networks) ? doc.networks : {};
  const volumeDefs = isMap(doc.volumes) ? doc.volumes : {};
  const secretDefs = isMap(doc.secrets) ? doc.secrets : {};
  const configDefs = isMap(doc.configs) ? doc.configs : {};
  const modelDefs = isMap(doc.models) ? doc.models : {};
  const usedModels = new Set<string>();
  for (const svc of Object.values(services)) {
    for (const key of Object.keys(svc.models ?? {})) {
      if (!(key in modelDefs))
        throw problemAt(
          doc,
          ['services', svc.name, 'models', key],
          `service "${svc.name}" refers to undefined model ${key}${didYouMean(key, Object.keys(modelDefs))}: declare it under the top-level models:`,
          'key',
        );
      usedModels.add(key);
    }
  }

  let needsDefault = false;
  for (const svc of Object.values(services)) {
    if (!svc.networkMode && Object.keys(svc.networks).length === 0) {
      svc.networks.default = null;
      needsDefault = true;
    }
  }
  const used = { networks: new Set<string>(), volumes: new Set<string>(), secrets: new Set<string>(), configs: new Set<string>() };
  if (needsDefault) used.networks.add('default');
  for (const svc of Object.values(services)) {
    for (const key of Object.keys(svc.networks)) {
      if (key !== 'default' && !(key in networkDefs))
        throw problemAt(
          doc,
          ['services', svc.name, 'networks', key],
          `service "${svc.name}" refers to undefined network ${key}${didYouMean(key, Object.keys(networkDefs))}: declare it under the top-level networks:`,
          'key',
        );
      used.networks.add(key);
    }
    svc.volumes.forEach((v, i) => {
      if (v.type !== 'volume' || !v.source) return;
      if (!(v.source in volumeDefs))
        throw problemAt(
          doc,
          ['services', svc.name, 'volumes', i],
          `service "${svc.name}" refers to undefined volume ${v.source}${didYouMean(v.source, Object.keys(volumeDefs))}: declare it under the top-level volumes:`,
        );
      used.volumes.add(v.source);
    });
    (svc.build?.secrets ?? []).forEach((ref, i) => {
      if (!(ref.source in secretDefs))
        throw problemAt(
          doc,
          ['services', svc.name, 'build', 'secrets', i],
          `service "${svc.name}" refers to undefined secret ${ref.source} in build.secrets`,
        );
      used.secrets.add(ref.source);
    });
    for (const [kind, defs] of [
      ['secrets', secretDefs],
      ['configs', configDefs],
    ] as const) {
      svc[kind].forEach((ref, i) => {
        if (!(ref.source in defs))
          throw problemAt(
            doc,
            ['services', svc.name, kind, i],
            `service "${svc.name}" refers to undefined ${kind.slice(0, -1)} ${ref.source}`,
          );
        used[kind].add(ref.source);
      });
    }
  }

  const project: Project = {
    name: inp.name,
    workingDir: inp.workingDir,
    configFiles: inp.configFiles,
    services,
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    disabledServices,
    extensions: {},
    environment: inp.environment,
    warnings: inp.warnings,
  };
  const netKeys = new Set([...Object.keys(networkDefs), ...(needsDefault ? ['default'] : [])]);
  for (const key of [...netKeys].sort())
    if (used.networks.has(key)) project.networks[key] = toNetwork(key, (networkDefs[key] ?? null) as PlainMap | null, inp.name);
  for (const key of Object.keys(volumeDefs).sort())
    if (used.volumes.has(key)) project.volumes[key] = toVolume(key, volumeDefs[key] as PlainMap | null, inp.name);
  for (const key of Object.keys(secretDefs).sort()) {
    if (!used.secrets.has(key)) continue;
    const secret = toSecretOrConfig(key, secretDefs[key] as PlainMap | null, inp.name);
    if (!secret.external && secret.file === undefined && secret.environment === undefined) {
      throw problemAt(doc, ['secrets', key], `secret "${key}" must declare either \`file\` or \`environment\``, 'key');
    }
    project.secrets[key] = secret;
  }
  for (const key of Object.keys(configDefs).sort())
    if (used.configs.has(key)) project.configs[key] = toSecretOrConfig(key, configDefs[key] as PlainMap | null, inp.name);
  for (const key of Object.keys(modelDefs).sort()) {
    if (usedModels.has(key)) (project.models ??= {})[key] = toModel(key, modelDefs[key] as PlainMap);
  }
  for (const [k, v] of Object.entries(doc)) if (k.startsWith('x-')) project.extensions[k] = v;
  return project;
}

/** env_file contents (in order), then `environment:` on top; a bare KEY takes the project environment's value. */
function serviceEnvironment(doc: PlainMap, name: string, raw: PlainMap, projectEnv: Environment): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const files = Array.isArray(raw.env_file) ? raw.env_file : [];
  files.forEach((f, i) => {
    const ref = f as PlainMap;
    const file = String(ref.path);
    if (!existsSync(file)) {
      if (ref.required === false) return;
      throw problemAt(doc, ['services', name, 'env_file', i], `env file ${file} not found`);
    }
    try {
      Object.assign(out, ref.format === 'raw' ? readRawEnvFile(file) : readEnvFile(file, (n) => projectEnv[n]));
    } catch (err) {
      throw problemAt(doc, ['services', name, 'env_file', i], (err as Error).message);
    }
  });
  if (isMap(raw.environment)) {
    for (const [k, v] of Object.entries(raw.environment)) {
      out[k] = v === null ? (projectEnv[k] ?? null) : String(v);
    }
  }
  return out;
}

/** links, network_mode/ipc/pid service:x and volumes_from x make the service depend on x, as in compose-go's normalize. */
function addImplicitDependencies(svc: Service): void {
  const add = (name: string, restart: boolean) => {
    if (!(name in svc.dependsOn)) svc.dependsOn[name] = { condition: 'service_started', restart, required: true };
  };
  for (const l of svc.links) add(l.split(':')[0]!, true);
  for (const mode of [svc.networkMode, svc.ipc, svc.pid]) if (mode?.startsWith('service:')) add(mode.slice('service:'.length), true);
  for (const v of svc.volumesFrom) if (!v.startsWith('container:')) add(v.split(':')[0]!, false);
}

/** label_file contents (in order) under the service's own labels, as compose-go reads them. */
function labelFiles(doc: PlainMap, name: string, raw: PlainMap, projectEnv: Environment): Record<string, string> {
  const out: Record<string, string> = {};
  const files = Array.isArray(raw.label_file) ? raw.label_file : [];
  files.forEach((f, i) => {
    const file = String(f);
    if (!existsSync(file)) throw problemAt(doc, ['services', name, 'label_file', i], `label file ${file} not found`);
    try {
      for (const [k, v] of Object.entries(readEnvFile(file, (n) => projectEnv[n]))) out[k] = v ?? '';
    } catch (err) {
      throw problemAt(doc, ['services', name, 'label_file', i], (err as Error).message);
    }
  });
  return out;
}

function checkServiceReferences(
  doc: PlainMap,
  services: Record<string, Service>,
  disabled: Record<string, Service>,
  warnings: string[],
): void {
  const check = (from: string, to: string, path: (string | number)[], what: string, optional = false): boolean => {
    if (to in services) return true;
    if (to in disabled) {
      if (optional) {
        warnings.push(
          `service "${from}" ${what} service "${to}", which is disabled by its profiles (${disabled[to]!.profiles.join(', ')}); ignoring it`,
        );
        return false;
      }
      throw problemAt(
        doc,
        path,
        `service "${from}" ${what} service "${to}", which is disabled: enable one of its profiles (${disabled[to]!.profiles.join(', ')}) with --profile`,
        'key',
      );
    }
    if (optional) {
      warnings.push(`service "${from}" ${what} undefined service "${to}"; ignoring it`);
      return false;
    }
    throw problemAt(doc, path, `service "${from}" ${what} undefined service "${to}"${didYouMean(to, Object.keys(services))}`, 'key');
  };
  for (const svc of Object.values(services)) {
    for (const [dep, d] of Object.entries(svc.dependsOn)) {
      if (!check(svc.name, dep, ['services', svc.name, 'depends_on', dep], 'depends on', !d.required)) delete svc.dependsOn[dep];
    }
    svc.links.forEach((l, i) => check(svc.name, l.split(':')[0]!, ['services', svc.name, 'links', i], 'links to'));
    svc.volumesFrom.forEach((v, i) => {
      if (v.startsWith('container:')) return;
      check(svc.name, v.split(':')[0]!, ['services', svc.name, 'volumes_from', i], 'takes volumes from');
    });
    for (const key of ['networkMode', 'pid', 'ipc'] as const) {
      const mode = svc[key];
      if (mode?.startsWith('service:')) {
        const yamlKey = key === 'networkMode' ? 'network_mode' : key;
        check(svc.name, mode.slice('service:'.length), ['services', svc.name, yamlKey], `uses the ${yamlKey} of`);
      }
    }
  }
}
