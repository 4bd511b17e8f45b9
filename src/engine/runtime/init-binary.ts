// The init HostConfig.Init runs as the container's PID 1, found as Docker Engine finds `docker-init`: a
// configured path first (dockerd's --init-path; here TSCOMPOSE_INIT_PATH), then `docker-init` in PATH and in
// Docker's libexec directories, then Debian's tini-static (which Debian's docker-init is a link to).
// The binary is bind-mounted into containers of any distribution, so it must be statically linked.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where dockerd looks for its helper binaries besides PATH. */
const DOCKER_LIBEXEC = ['/usr/local/libexec/docker', '/usr/libexec/docker', '/usr/local/lib/docker', '/usr/lib/docker'];

export const INIT_INSTALL_HINT =
  'install tini-static (Debian: apt-get install tini) or docker-init (Debian: apt-get install docker.io), or set TSCOMPOSE_INIT_PATH to a static init';

/** True for an executable ELF file without a program interpreter (PT_INTERP): it runs in any root file system. */
export function isStaticExecutable(file: string): boolean {
  try {
    const st = statSync(file);
    if (!st.isFile() || (st.mode & 0o111) === 0) return false;
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(64);
      if (readSync(fd, head, 0, 64, 0) < 64 || head.toString('latin1', 0, 4) !== '\x7fELF') return false;
      const is64 = head[4] === 2;
      const le = head[5] === 1;
      const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
      const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
      const phoff = is64 ? Number(le ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32)) : u32(head, 28);
      const phentsize = u16(head, is64 ? 54 : 42);
      const phnum = u16(head, is64 ? 56 : 44);
      if (phnum > 256 || phentsize < 4) return false;
      const table = Buffer.alloc(phentsize * phnum);
      readSync(fd, table, 0, table.length, phoff);
      for (let i = 0; i < phnum; i++) if (u32(table, i * phentsize) === 3 /* PT_INTERP */) return false;
      return true;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** The candidates in the order they are tried. */
export function initCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.TSCOMPOSE_INIT_PATH) return [env.TSCOMPOSE_INIT_PATH];
  const pathDirs = (env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean);
  return [...[...pathDirs, ...DOCKER_LIBEXEC].map((d) => path.join(d, 'docker-init')), ...pathDirs.map((d) => path.join(d, 'tini-static'))];
}

/** The init to run, or an error that says what to install. */
export function findInitBinary(env: NodeJS.ProcessEnv = process.env): { path: string } | { error: string } {
  const candidates = initCandidates(env);
  const found = candidates.find(isStaticExecutable);
  if (found) return { path: found };
  if (env.TSCOMPOSE_INIT_PATH)
    return { error: `the init binary TSCOMPOSE_INIT_PATH names (${env.TSCOMPOSE_INIT_PATH}) is not a statically linked executable` };
  return { error: `no init binary for HostConfig.Init (docker-init or tini-static): ${INIT_INSTALL_HINT}` };
}
