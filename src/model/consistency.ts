// compose-go's consistency checks (loader/validate.go checkConsistency, types CheckContainerNameUnicity,
// graph.CheckCycle) on the enabled services, each reported at the key that breaks it.
import type { Service } from './types.js';
import { isMap, type PlainMap } from './located.js';
import { problemAt } from './problems.js';

const rawService = (doc: PlainMap, name: string): PlainMap => {
  const services = isMap(doc.services) ? doc.services : {};
  return isMap(services[name]) ? (services[name] as PlainMap) : {};
};

/** Checks that need the service as written (before the default network is added). */
export function checkServiceConsistency(doc: PlainMap, svc: Service, allServices: string[]): void {
  const raw = rawService(doc, svc.name);
  const at = (...p: (string | number)[]) => ['services', svc.name, ...p];
  const fail = (path: (string | number)[], msg: string, which: 'key' | 'value' = 'key') => problemAt(doc, path, msg, which);

  if (svc.networkMode && isMap(raw.networks) && Object.keys(raw.networks).length > 0) {
    throw fail(
      at('network_mode'),
      `service ${svc.name} declares mutually exclusive \`network_mode\` and \`networks\`: keep only one of them`,
    );
  }
  const test = svc.healthcheck?.test;
  if (test && test.length > 0 && !['CMD', 'CMD-SHELL', 'NONE'].includes(test[0]!)) {
    throw fail(
      at('healthcheck', 'test', 0),
      `healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE" (got ${JSON.stringify(test[0])})`,
      'value',
    );
  }
  const build = isMap(raw.build) ? raw.build : undefined;
  if (
    build &&
    build.dockerfile !== undefined &&
    build.dockerfile !== null &&
    build.dockerfile_inline !== undefined &&
    build.dockerfile_inline !== null
  ) {
    throw fail(at('build', 'dockerfile_inline'), `service "${svc.name}" declares mutually exclusive dockerfile and dockerfile_inline`);
  }
  if (svc.build && svc.platform && svc.build.platforms.length > 0 && !svc.build.platforms.includes(svc.platform)) {
    throw fail(
      at('platform'),
      `service.build.platforms MUST include service.platform "${svc.platform}" (build.platforms: ${svc.build.platforms.join(', ')})`,
      'value',
    );
  }
  for (const [ctxName, target] of Object.entries(svc.build?.additionalContexts ?? {})) {
    if (!target.startsWith('service:')) continue;
    const other = target.slice('service:'.length);
    if (!allServices.includes(other))
      throw fail(
        at('build', 'additional_contexts', ctxName),
        `service "${svc.name}" uses undefined service "${other}" as additional context "${ctxName}"`,
        'value',
      );
  }
  const limits = svc.deploy?.resources?.limits;
  const reservations = svc.deploy?.resources?.reservations;
  const disagree = (key: string, value: number | undefined, deployKey: string, deployValue: number | undefined) => {
    if (value !== undefined && value !== 0 && deployValue !== undefined && deployValue !== value) {
      throw fail(at(key), `can't set distinct values on '${key}' and '${deployKey}' (${value} and ${deployValue})`, 'value');
    }
  };
  disagree('cpus', svc.cpus, 'deploy.resources.limits.cpus', limits?.cpus);
  disagree('mem_limit', svc.memLimit, 'deploy.resources.limits.memory', limits?.memory);
  disagree(
    'mem_reservation',
    typeof raw.mem_reservation === 'number' ? raw.mem_reservation : undefined,
    'deploy.resources.reservations.memory',
    reservations?.memory,
  );
  disagree('pids_limit', svc.pidsLimit, 'deploy.resources.limits.pids', limits?.pids);

  if (svc.containerName && (svc.scale ?? 1) > 1) {
    const attr = raw.scale !== undefined ? 'scale' : 'deploy.replicas';
    throw fail(at('container_name'), `can't set container_name and ${attr} (${svc.scale}) as container name must be unique`, 'value');
  }
  svc.develop?.watch.forEach((w, i) => {
    if (w.action.startsWith('sync') && !w.target)
      throw fail(at('develop', 'watch', i), `target is required for the ${w.action} action`, 'value');
  });
  const mountTargets = new Map<string, (string | number)[]>();
  svc.volumes.forEach((v, i) => mountTargets.set(v.target, at('volumes', i)));
  svc.tmpfs.forEach((t, i) => {
    const target = t.split(':')[0]!;
    if (mountTargets.has(target))
      throw fail(
        at('tmpfs', i),
        `${target} is used both by tmpfs and by a volume mount: a container path can have only one mount`,
        'value',
      );
  });
  if (isMap(raw.environment)) {
    for (const k of Object.keys(raw.environment)) {
      if (/\s/.test(k))
        throw fail(at('environment', k), `invalid environment variable name ${JSON.stringify(k)}: names cannot contain spaces`);
    }
  }
}

/** Checks across the enabled services: container names are unique and depends_on has no cycle. */
export function checkProjectConsistency(doc: PlainMap, services: Record<string, Service>): void {
  const byName = new Map<string, string>();
  for (const svc of Object.values(services)) {
    if (!svc.containerName) continue;
    const first = byName.get(svc.containerName);
    if (first)
      throw problemAt(
        doc,
        ['services', svc.name, 'container_name'],
        `container name "${svc.containerName}" is already in use by service "${first}": container names must be unique`,
      );
    byName.set(svc.containerName, svc.name);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    state.set(name, 'visiting');
    for (const dep of Object.keys(services[name]?.dependsOn ?? {}).sort()) {
      if (!(dep in services)) continue;
      if (state.get(dep) === 'visiting') {
        const path = [...trail, name];
        const cycle = [...path.slice(path.indexOf(dep)), dep];
        throw problemAt(doc, ['services', name, 'depends_on', dep], `dependency cycle between services: ${cycle.join(' → ')}`, 'key');
      }
      visit(dep, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const name of Object.keys(services).sort()) visit(name, []);
}
