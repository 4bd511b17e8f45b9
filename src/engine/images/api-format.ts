// Docker Engine API JSON shapes for images (list, inspect, history).
import { familiarName } from './reference.js';
import type { StoredImage } from './store.js';

const unixSeconds = (iso: string | undefined): number => Math.floor(Date.parse(iso ?? '1970-01-01T00:00:00Z') / 1000) || 0;
export const imageSize = (image: StoredImage): number => image.manifest.layers.reduce((s, l) => s + l.size, 0);
const familiarDigest = (rd: string): string => familiarName(rd.replace(/@.*/, '')) + rd.slice(rd.indexOf('@'));

export function imageSummary(image: StoredImage) {
  const size = imageSize(image);
  return {
    Id: image.id,
    ParentId: image.parent ?? '',
    RepoTags: image.names.map(familiarName),
    RepoDigests: image.repoDigests.map(familiarDigest),
    Created: unixSeconds(image.config.created),
    Size: size,
    SharedSize: -1,
    VirtualSize: size,
    Labels: image.config.config?.Labels ?? null,
    Containers: -1,
  };
}

/** `layerDir`: where a layer (by diff id) is unpacked, shown as the overlay lower dirs. */
export function imageInspect(image: StoredImage, layerDir: (diffId: string) => string) {
  const c = image.config.config ?? {};
  const size = imageSize(image);
  const dirs = image.config.rootfs.diff_ids.map(layerDir).reverse();
  return {
    Id: image.id,
    RepoTags: image.names.map(familiarName),
    RepoDigests: image.repoDigests.map(familiarDigest),
    Parent: image.parent ?? '',
    Comment: image.config.comment ?? '',
    Created: image.config.created ?? '1970-01-01T00:00:00Z',
    Container: '',
    ContainerConfig: {},
    DockerVersion: '',
    Author: image.config.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: c.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: c.ExposedPorts,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: c.Env ?? null,
      Cmd: c.Cmd ?? null,
      Healthcheck: c.Healthcheck,
      Image: '',
      Volumes: c.Volumes ?? null,
      WorkingDir: c.WorkingDir ?? '',
      Entrypoint: c.Entrypoint ?? null,
      OnBuild: c.OnBuild?.length ? c.OnBuild : null,
      Labels: c.Labels ?? null,
      StopSignal: c.StopSignal,
      Shell: c.Shell,
    },
    Architecture: image.config.architecture,
    Variant: image.config.variant,
    Os: image.config.os,
    Size: size,
    VirtualSize: size,
    GraphDriver: { Name: 'overlay2', Data: dirs.length ? { LowerDir: dirs.join(':') } : {} },
    RootFS: { Type: 'layers', Layers: image.config.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

export function imageHistory(image: StoredImage) {
  const layerSizes = image.manifest.layers.map((l) => l.size);
  let layer = 0;
  const rows = (image.config.history ?? [])
    .map((h) => ({
      Id: '<missing>',
      Created: unixSeconds(h.created),
      CreatedBy: h.created_by ?? '',
      Tags: null as string[] | null,
      Size: h.empty_layer ? 0 : (layerSizes[layer++] ?? 0),
      Comment: h.comment ?? '',
    }))
    .reverse();
  if (rows[0]) {
    rows[0].Id = image.id;
    rows[0].Tags = image.names.map(familiarName);
  }
  return rows;
}

/** `reference`, `label` and `dangling` filters of GET /images/json. */
export function matchesFilters(image: StoredImage, filters: Record<string, string[]>): boolean {
  const dangling = filters.dangling?.[0];
  if (dangling !== undefined && (dangling === 'true' || dangling === '1') !== (image.names.length === 0)) return false;
  for (const want of filters.label ?? []) {
    const labels = image.config.config?.Labels ?? {};
    const eq = want.indexOf('=');
    if (eq < 0 ? !(want in labels) : labels[want.slice(0, eq)] !== want.slice(eq + 1)) return false;
  }
  const refs = filters.reference ?? [];
  if (refs.length && !refs.some((pattern) => image.names.some((n) => referenceMatches(pattern, n)))) return false;
  return true;
}

function glob(pattern: string): RegExp {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

export function referenceMatches(pattern: string, canonical: string): boolean {
  const hasTag = pattern.lastIndexOf(':') > pattern.lastIndexOf('/');
  for (const name of [familiarName(canonical), canonical]) {
    const repo = name.slice(0, name.lastIndexOf(':'));
    if (glob(pattern).test(hasTag ? name : repo)) return true;
  }
  return false;
}
