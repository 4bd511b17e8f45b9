// `tscompose engine`: the bundled engine in the foreground (the CLI starts it in the background on demand).
import type { Command } from 'commander';
import { DEFAULT_SOCKET, DEFAULT_STATE_ROOT } from '../../engine/paths.js';

export function register(program: Command): void {
  program
    .command('engine')
    .description('Run the bundled container engine in the foreground (Docker Engine API on a unix socket)')
    .option('--root <dir>', 'State root', process.env.TSCOMPOSE_STATE_ROOT ?? DEFAULT_STATE_ROOT)
    .option('--socket <path>', 'Unix socket to listen on', process.env.TSCOMPOSE_ENGINE_SOCKET ?? DEFAULT_SOCKET)
    .action(async (opts: { root: string; socket: string }) => {
      const { runDaemon } = await import('../../engine/daemon.js');
      await runDaemon({ root: opts.root, socket: opts.socket });
    });
}
