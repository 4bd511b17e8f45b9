// The docker CLI (Debian's docker.io) against one engine under test, and a busybox image built on it.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { busyboxContext } from '../../helpers/busybox-image.js';
import type { EngineTarget } from './engines.js';
import type { CliResult } from './stack.js';

/** `docker` with the engine's socket (the classic builder: the bundled engine has no BuildKit session API). */
export function dockerCli(engine: EngineTarget, args: string[], timeoutMs = 120_000): Promise<CliResult> {
  const host = engine.env.TSCOMPOSE_ENGINE_SOCKET ? ['-H', `unix://${engine.env.TSCOMPOSE_ENGINE_SOCKET}`] : [];
  return new Promise((resolve) => {
    execFile(
      'docker',
      [...host, ...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, DOCKER_BUILDKIT: '0' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Builds a busybox image on the engine; returns its tag. */
export async function busyboxImage(engine: EngineTarget, extraLines: string[] = []): Promise<string> {
  const tag = `tsc-e2e-bb-${randomBytes(4).toString('hex')}`;
  const ctx = busyboxContext(extraLines);
  try {
    const built = await dockerCli(engine, ['build', '-q', '-t', tag, ctx]);
    if (built.code !== 0) throw new Error(`building ${tag} on ${engine.name}: ${built.stderr}`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return tag;
}
