// The /volumes routes of the Docker Engine API, over the volume subsystem's VolumeManagement.
import type { VolumeManagement } from '../contracts.js';
import { invalid } from '../errors.js';
import type { VolumeRecord } from '../volumes/store.js';
import { ANONYMOUS_LABEL } from '../volumes/service.js';
import { parseFilters, queryBool, readJson, sendJson, sendNoContent } from './http.js';
import type { Router } from './router.js';

/** Docker's POST /volumes/create body. */
interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export function registerVolumeRoutes(router: Router, volumes: VolumeManagement): void {
  router.add('GET', '/volumes', async ({ res, query }) => {
    const filters = parseFilters(query);
    // which volumes containers use is read from every container: only a dangling filter needs it
    const used = filters.dangling?.length ? await volumes.usage() : undefined;
    const list = (await volumes.list()).filter((v) => matches(v, used?.has(v.name) ?? false, filters));
    sendJson(res, 200, { Volumes: list.map((v) => volumeView(v, volumes.mountpoint(v))), Warnings: [] });
  });

  router.add('POST', '/volumes/create', async ({ req, res }) => {
    const body = await readJson<VolumeCreateBody>(req);
    // as Docker 23+: a volume created without a name is labelled anonymous, so a default prune takes it (it is still
    // kept by `docker rm -v` of a container that mounted it by its name)
    const labels = body.Name ? (body.Labels ?? undefined) : { ...(body.Labels ?? {}), [ANONYMOUS_LABEL]: '' };
    const volume = await volumes.create({ name: body.Name, driver: body.Driver, options: body.DriverOpts ?? undefined, labels });
    sendJson(res, 201, volumeView(volume, volumes.mountpoint(volume)));
  });

  router.add('POST', '/volumes/prune', async ({ req, res, query }) => {
    const filters = parseFilters(query);
    // API 1.42 made prune keep named volumes unless all=true; older clients expect every unused volume gone
    const all = (filters.all ?? []).some((v) => v === 'true' || v === '1') || apiVersionBefore(req.url ?? '', 1, 42);
    const rest = { label: filters.label ?? [], 'label!': filters['label!'] ?? [] };
    const { names, bytes } = await volumes.prune((v) => (all || v.anonymous || ANONYMOUS_LABEL in v.labels) && matches(v, false, rest));
    sendJson(res, 200, { VolumesDeleted: names, SpaceReclaimed: bytes });
  });

  router.add('GET', '/volumes/:name', async ({ res, params }) => {
    const volume = await volumes.get(params.name!);
    if (!volume) return sendJson(res, 404, { message: `get ${params.name}: no such volume` });
    sendJson(res, 200, volumeView(volume, volumes.mountpoint(volume)));
  });

  router.add('DELETE', '/volumes/:name', async ({ res, params, query }) => {
    await volumes.remove(params.name!, queryBool(query, 'force'));
    sendNoContent(res);
  });
}

/** A volume as GET /volumes/{name} shows it. */
export function volumeView(v: VolumeRecord, mountpoint: string): Record<string, unknown> {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: v.labels,
    Mountpoint: mountpoint,
    Name: v.name,
    Options: Object.keys(v.options).length ? v.options : null,
    Scope: 'local',
  };
}

function apiVersionBefore(url: string, major: number, minor: number): boolean {
  const m = /^\/v(\d+)\.(\d+)\//.exec(url);
  if (!m) return false;
  return Number(m[1]) < major || (Number(m[1]) === major && Number(m[2]) < minor);
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

function matches(v: VolumeRecord, inUse: boolean, filters: Record<string, string[]>): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (!values.length) continue;
    switch (key) {
      case 'name':
        if (!values.some((n) => v.name.includes(n))) return false;
        break;
      case 'driver':
        if (!values.includes(v.driver)) return false;
        break;
      case 'dangling':
        if (!values.some((d) => (d === 'true' || d === '1') === !inUse)) return false;
        break;
      case 'label':
        if (!values.every((l) => labelMatches(v.labels, l))) return false;
        break;
      case 'label!':
        if (values.some((l) => labelMatches(v.labels, l))) return false;
        break;
      default:
        throw invalid(`invalid filter '${key}'`);
    }
  }
  return true;
}
