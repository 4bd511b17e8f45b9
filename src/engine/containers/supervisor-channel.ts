// The privileged channel between the engine and its container supervisor. The supervisor runs whatever
// bundle it is handed as root, so only the engine may reach it:
// - a filesystem socket in a directory only root can enter (0700, owned by root, not a symlink), never an
//   abstract socket: those ignore file permissions and are reachable from every process in the host
//   network namespace, `--network host` containers of any engine included;
// - every connection's peer is checked before a single request is read (SO_PEERCRED's question, asked
//   through the kernel's sock_diag with `ss`, since node cannot read SO_PEERCRED): every process holding
//   the other end must run as uid 0 in the supervisor's own mount namespace (a container's root is not
//   the engine, even where it could see the path).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';

const MAX_UNIX_PATH = 107; // sun_path is 108 bytes with the terminating NUL

/** Makes `dir` (and missing parents) a directory only root can enter; refuses one that someone else owns
 *  or that is a symlink, since whoever controls it could swap the socket for their own. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${dir} must be a directory, not a symlink`);
  if (st.uid !== 0 && process.getuid?.() === 0)
    throw new Error(`${dir} is owned by uid ${st.uid}, not root: refusing to put the supervisor socket there`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Where the supervisor of a state root listens: `<root>/supervisor/sock`, or, when that path is too
 *  long for a unix socket, a root-only directory under /run named by the state root's hash. */
export function supervisorSocketPath(root: string): string {
  const abs = path.resolve(root);
  const inRoot = path.join(abs, 'supervisor', 'sock');
  if (Buffer.byteLength(inRoot) <= MAX_UNIX_PATH) return inRoot;
  return path.join('/run/tscompose/supervisors', createHash('sha256').update(abs).digest('hex').slice(0, 24), 'sock');
}

export interface PeerProcess {
  pid: number;
  uid: number[];
  sameMountNamespace: boolean;
}

const ownMountNamespace = (() => {
  try {
    return readlinkSync('/proc/self/ns/mnt');
  } catch {
    return undefined;
  }
})();

function socketInode(sock: net.Socket): string | undefined {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return undefined;
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

function processInfo(pid: number): PeerProcess | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = (/^Uid:\s+(.*)$/m.exec(status)?.[1] ?? '').trim().split(/\s+/).map(Number);
    const mnt = readlinkSync(`/proc/${pid}/ns/mnt`);
    return { pid, uid, sameMountNamespace: mnt === ownMountNamespace };
  } catch {
    return undefined;
  }
}

/** The processes holding the other end of an accepted unix socket (usually one). */
export function peerProcesses(sock: net.Socket): Promise<PeerProcess[]> {
  const own = socketInode(sock);
  if (!own) return Promise.reject(new Error('cannot tell which socket this connection is'));
  return new Promise((resolve, reject) => {
    execFile('ss', ['-xpnH'], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) {
        reject(new Error(`ss -xp: ${err.message}`));
        return;
      }
      // u_str ESTAB 0 0 <local> <inode> <peer> <peer inode> users:(("node",pid=1,fd=3),…)
      let peer: string | undefined;
      const holders = new Map<string, number[]>();
      for (const line of stdout.split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length < 8) continue;
        const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
        holders.set(f[5]!, pids);
        if (f[5] === own) peer = f[7];
      }
      if (!peer) {
        reject(new Error(`no peer found for socket ${own}`));
        return;
      }
      const pids = holders.get(peer) ?? [];
      const procs = pids.map(processInfo);
      if (pids.length === 0 || procs.some((p) => !p)) {
        reject(new Error('the peer process is gone or unknown'));
        return;
      }
      resolve(procs as PeerProcess[]);
    });
  });
}

/** Why this peer may not use the supervisor, or undefined when it may. */
export async function untrustedPeer(sock: net.Socket): Promise<string | undefined> {
  let peers: PeerProcess[];
  try {
    peers = await peerProcesses(sock);
  } catch (err) {
    return (err as Error).message;
  }
  for (const p of peers) {
    if (!p.uid.every((u) => u === 0)) return `pid ${p.pid} runs as uid ${p.uid.join('/')}, not root`;
    if (!p.sameMountNamespace) return `pid ${p.pid} is in another mount namespace (a container?)`;
  }
  return undefined;
}
