// `cp`: copy files between a service container and the local filesystem ("SERVICE:PATH" on one side).
import type { Command } from 'commander';
import { createWriteStream, existsSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { commandContext, type CommandContext } from '../context.js';
import { serviceContainer } from '../output/target-container.js';
import { pathTar } from '../../reconcile/build-context.js';
import { UserError } from '../../errors.js';
import { engineMessage } from '../../reconcile/engine-errors.js';

const remote = (arg: string) => {
  const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)$/.exec(arg);
  return m && !arg.startsWith('/') && !arg.startsWith('.') ? { service: m[1], path: m[2] || '/' } : undefined;
};

export function register(program: Command): void {
  program
    .command('cp')
    .description('Copy files/folders between a service container and the local filesystem')
    .argument('<src>', 'SERVICE:SRC_PATH or a local path')
    .argument('<dest>', 'SERVICE:DEST_PATH or a local path')
    .option('--index <n>', 'Index of the container if service has multiple replicas')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('--all', 'Include containers created by the run command')
    .action(async (src: string, dest: string, flags: { index?: string }, command: Command) => {
      const from = remote(src);
      const to = remote(dest);
      if (!!from === !!to)
        throw new UserError(
          'cp copies between a service container and the local filesystem: exactly one of SRC and DEST must be SERVICE:PATH',
        );
      const ctx = await commandContext(command, { projectOptional: true });
      const index = flags.index ? Number(flags.index) : undefined;
      try {
        if (from) await copyOut(ctx, from.service, from.path, dest, index);
        else await copyIn(ctx, src, to!.service, to!.path, index);
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`cp ${src} ${dest} failed: ${engineMessage(err)}`);
      }
    });
}

async function copyOut(ctx: CommandContext, service: string, srcPath: string, dest: string, index?: number) {
  const c = await serviceContainer(ctx, service, index, false);
  const archive = await ctx.engine.getArchive(c.id, srcPath);
  const intoDir = existsSync(dest) && statSync(dest).isDirectory();
  const base = path.posix.basename(srcPath.replace(/\/+$/, '')) || '.';
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const rel = header.name.replace(/\/+$/, '');
    const renamed = intoDir ? rel : path.join(path.basename(dest), rel.slice(base.length));
    const target = path.join(intoDir ? dest : path.dirname(path.resolve(dest)), renamed);
    if (header.type === 'directory') {
      mkdirSync(target, { recursive: true, mode: header.mode });
      stream.resume();
      next();
      return;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    if (header.type === 'symlink') {
      try {
        symlinkSync(header.linkname!, target);
      } catch {
        /* exists */
      }
      stream.resume();
      next();
      return;
    }
    stream
      .pipe(createWriteStream(target, { mode: header.mode }))
      .on('finish', next)
      .on('error', next);
  });
  await pipeline(archive, ex);
}

async function copyIn(ctx: CommandContext, src: string, service: string, destPath: string, index?: number) {
  if (!existsSync(src)) throw new UserError(`cp: ${src} does not exist`);
  const c = await serviceContainer(ctx, service, index, false);
  const destIsDir =
    destPath.endsWith('/') ||
    (await ctx.engine
      .statPath(c.id, destPath)
      .then((stat) => (stat.mode & 0x80000000) !== 0 /* Go's os.ModeDir */)
      .catch(() => false));
  const name = destIsDir ? path.basename(path.resolve(src)) : path.posix.basename(destPath);
  const dir = destIsDir ? destPath : path.posix.dirname(destPath);
  const tar = pathTar(path.resolve(src), name);
  await ctx.engine.putArchive(c.id, tar as unknown as NodeJS.ReadableStream, dir);
}
