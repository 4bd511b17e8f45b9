// Resolves a Docker `User` ("name", "uid", "name:group", "uid:gid") against the container's /etc/passwd and /etc/group.
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { readFromLayers } from '../images/layer-files.js';
import { readFileInRootSync } from '../fs/in-root.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

/** The texts of a container's /etc/passwd and /etc/group ('' when missing). */
export interface UserTables {
  passwd: string;
  group: string;
}

/** From a root directory, e.g. a running container's /proc/<pid>/root. */
export function userTablesAt(root: string): UserTables {
  // inside the root: a container's /etc/passwd -> /etc/shadow must not read the host's (exec goes through /proc/<pid>/root)
  const read = (file: string) => readFileInRootSync(root, ['etc', file]) ?? '';
  return { passwd: read('passwd'), group: read('group') };
}

/** From a layer stack (bottom first), without mounting it. */
export function userTablesInLayers(layerDirs: string[]): UserTables {
  return { passwd: readFromLayers(layerDirs, 'etc/passwd') ?? '', group: readFromLayers(layerDirs, 'etc/group') ?? '' };
}

// Image layers never change once unpacked: their tables are read once per layer stack.
const imageTables = new Map<string, UserTables>();

/** A container's tables: its image's, unless its own upper dir has anything under /etc. */
export function containerUserTables(imageLayers: string[], upperDir: string): UserTables {
  if (lstatSync(path.join(upperDir, 'etc'), { throwIfNoEntry: false })) return userTablesInLayers([...imageLayers, upperDir]);
  const key = imageLayers.join(':');
  let tables = imageTables.get(key);
  if (!tables) {
    tables = userTablesInLayers(imageLayers);
    if (imageTables.size >= 256) imageTables.delete(imageTables.keys().next().value!);
    imageTables.set(key, tables);
  }
  return tables;
}

const table = (text: string): string[][] =>
  text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));

const isNumeric = (s: string) => /^\d+$/.test(s);

export function resolveUser(tables: UserTables, user: string | undefined): ResolvedUser {
  const spec = (user ?? '').trim();
  const [userPart = '', groupPart] = spec.split(':');
  const passwd = table(tables.passwd);
  const groups = table(tables.group);
  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined = 'root';
  if (userPart !== '') {
    const entry = passwd.find((p) => (isNumeric(userPart) ? p[2] === userPart : p[0] === userPart));
    if (entry) {
      name = entry[0];
      uid = Number(entry[2]);
      gid = Number(entry[3]);
      home = entry[5] || '/';
    } else if (isNumeric(userPart)) {
      name = undefined;
      uid = Number(userPart);
      gid = 0;
    } else throw new Error(`unable to find user ${userPart}: no matching entries in passwd file`);
  } else {
    const root = passwd.find((p) => p[2] === '0');
    if (root) home = root[5] || '/root';
  }
  if (groupPart !== undefined && groupPart !== '') {
    const g = groups.find((e) => (isNumeric(groupPart) ? e[2] === groupPart : e[0] === groupPart));
    if (g) gid = Number(g[2]);
    else if (isNumeric(groupPart)) gid = Number(groupPart);
    else throw new Error(`unable to find group ${groupPart}: no matching entries in group file`);
  }
  const additionalGids =
    name === undefined
      ? []
      : groups
          .filter((g) => (g[3] ?? '').split(',').includes(name!))
          .map((g) => Number(g[2]))
          .filter((g) => g !== gid);
  return { uid, gid, additionalGids, home };
}

/** HostConfig.GroupAdd: names looked up in the container's /etc/group, numbers as they are (Docker's message otherwise). */
export function resolveGroups(tables: UserTables, groupAdd: string[]): number[] {
  const groups = table(tables.group);
  return groupAdd.map((g) => {
    const entry = groups.find((e) => e[0] === g);
    if (entry) return Number(entry[2]);
    if (isNumeric(g)) return Number(g);
    throw new Error(`Unable to find group ${g}: no matching entries in group file`);
  });
}
