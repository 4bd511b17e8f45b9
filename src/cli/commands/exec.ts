// `exec`: run a command in a running service container; its exit code becomes ours.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { serviceContainer, envEntries } from '../output/target-container.js';
import { followWindowSize, pumpStdio } from '../output/stdio.js';

interface ExecFlags {
  detach?: boolean;
  tty?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  index?: string;
  privileged?: boolean;
}

export function register(program: Command): void {
  program
    .command('exec')
    .description('Execute a command in a running container')
    .argument('<service>', 'Service')
    .argument('<command...>', 'Command and arguments')
    .option('-d, --detach', 'Detached mode: Run command in the background')
    .option('-i, --interactive', 'Keep STDIN open (the default, as with docker compose)')
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: a TTY when stdin is one)')
    .option('-e, --env <KEY=VAL>', 'Set environment variables (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('-u, --user <user>', 'Run the command as this user')
    .option('-w, --workdir <dir>', 'Path to workdir directory for this command')
    .option('--index <n>', 'Index of the container if service has multiple replicas')
    .option('--privileged', 'Give extended privileges to the process')
    .passThroughOptions()
    .action(async (service: string, args: string[], flags: ExecFlags & { TTY?: boolean }, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      const target = await serviceContainer(ctx, service, flags.index ? Number(flags.index) : undefined);
      if (ctx.global.dryRun) {
        console.log(`DRY-RUN MODE - exec in ${target.name}: ${args.join(' ')}`);
        return;
      }
      const tty = flags.TTY !== false && !!process.stdin.isTTY && !flags.detach;
      // as docker compose (-i is on by default): stdin goes to the command with or without a TTY, so
      // `exec -T db psql < dump.sql` works; its end closes the command's stdin
      const stdin = !flags.detach;
      const exec = await ctx.engine.createExec(target.id, {
        Cmd: args,
        AttachStdin: stdin,
        AttachStdout: !flags.detach,
        AttachStderr: !flags.detach,
        Tty: tty,
        Env: envEntries(flags.env),
        User: flags.user,
        WorkingDir: flags.workdir,
        Privileged: !!flags.privileged,
      });
      if (flags.detach) {
        await exec.startDetached();
        return;
      }
      const stream = await exec.start({ stdin, tty });
      const stopResizing = tty ? followWindowSize((h, w) => exec.resize(h, w)) : () => {};
      await pumpStdio(ctx.engine, stream, { tty, stdin });
      stopResizing();
      const info = await exec.inspect();
      process.exitCode = info.ExitCode ?? 0;
    });
}
