// `run`: a one-off container of a service with its dependencies up; its exit code becomes ours.
import type { Command } from 'commander';
import { collect } from '../global-options.js';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { commandContext } from '../context.js';
import {
  upServices,
  ensureImages,
  planUp,
  observe,
  ensureNetworksAndVolumes,
  createContainer,
  removeContainer,
  selectServices,
  serviceImage,
  observeContainers,
} from '../../reconcile/index.js';
import type { Service, PortMapping, VolumeMount } from '../../model/types.js';
import { envEntries } from '../output/target-container.js';
import { followWindowSize, pumpStdio } from '../output/stdio.js';
import { UserError } from '../../errors.js';

interface RunFlags {
  detach?: boolean;
  rm?: boolean;
  env?: string[];
  entrypoint?: string;
  deps?: boolean;
  TTY?: boolean;
  publish?: string[];
  servicePorts?: boolean;
  name?: string;
  volume?: string[];
  user?: string;
  workdir?: string;
  label?: string[];
  build?: boolean;
  removeOrphans?: boolean;
  interactive?: boolean;
}

function parsePublish(spec: string): PortMapping {
  const m = /^(?:(?:([\d.]+):)?(\d*):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(spec);
  if (!m) throw new UserError(`invalid -p "${spec}": use [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`);
  return {
    target: Number(m[3]),
    published: m[2] || undefined,
    hostIp: m[1],
    protocol: (m[4] ?? 'tcp') as PortMapping['protocol'],
    mode: 'ingress',
  };
}

function parseVolume(spec: string, cwd: string): VolumeMount {
  const [source, target, mode] = spec.split(':');
  if (!target) return { type: 'volume', target: source, readOnly: false };
  const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
  return isPath
    ? { type: 'bind', source: path.resolve(cwd, source), target, readOnly: mode === 'ro', bind: { createHostPath: true } }
    : { type: 'volume', source, target, readOnly: mode === 'ro' };
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Run a one-off command on a service')
    .argument('<service>', 'Service')
    .argument('[command...]', 'Command and arguments (default: the service command)')
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('--rm', 'Automatically remove the container when it exits')
    .option('-e, --env <KEY=VAL>', 'Set environment variables (repeatable)', collect)
    .option('--entrypoint <cmd>', 'Override the entrypoint of the image')
    .option('--no-deps', "Don't start linked services")
    .option('-i, --interactive', 'Keep STDIN open (the default, as with docker compose)')
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: a TTY when stdin is one)')
    .option('-p, --publish <port>', "Publish a container's port(s) to the host (repeatable)", collect)
    .option('-P, --service-ports', "Run command with all service's ports enabled and mapped to the host")
    .option('--name <name>', 'Assign a name to the container')
    .option('-v, --volume <volume>', 'Bind mount a volume (repeatable)', collect)
    .option('-u, --user <user>', 'Run as specified username or uid')
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .option('-l, --label <KEY=VAL>', 'Add or override a label (repeatable)', collect)
    .option('--build', 'Build image before starting container')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .passThroughOptions()
    .action(async (serviceName: string, args: string[], flags: RunFlags, command: Command) => {
      const ctx = await commandContext(command);
      const { engine, project } = ctx;
      const base = project.services[serviceName];
      if (!base) throw new UserError(`no such service: "${serviceName}"`);
      if (ctx.global.dryRun) {
        console.log(`DRY-RUN MODE - one-off container of ${serviceName}: ${args.join(' ') || '(service command)'}`);
        return;
      }
      const tty = flags.TTY !== false && !!process.stdin.isTTY && !flags.detach;
      // as docker compose (-i is on by default): stdin reaches the one-off container with or without a TTY
      const stdin = !flags.detach;
      try {
        const deps = selectServices(project, [serviceName]).filter((s) => s !== serviceName);
        if (flags.deps !== false && deps.length) await upServices(ctx, deps, { removeOrphans: flags.removeOrphans });
        await ensureImages(engine, project, [serviceName], { build: flags.build }, ctx.progress);
        await ensureNetworksAndVolumes(
          ctx,
          planUp(project, await observe(engine, project.name), { services: [serviceName], noDeps: true }),
        );
      } finally {
        await ctx.progress.close();
      }
      const service: Service = {
        ...base,
        ...(args.length ? { command: args } : {}),
        ...(flags.entrypoint !== undefined ? { entrypoint: flags.entrypoint ? flags.entrypoint.split(' ') : null } : {}),
        ports: flags.servicePorts ? base.ports : (flags.publish ?? []).map(parsePublish),
        volumes: [...base.volumes, ...(flags.volume ?? []).map((v) => parseVolume(v, process.cwd()))],
        labels: {
          ...base.labels,
          ...Object.fromEntries(
            (flags.label ?? []).map((l) => {
              const i = l.indexOf('=');
              return [l.slice(0, i), l.slice(i + 1)];
            }),
          ),
        },
        restart: undefined,
        deploy: base.deploy ? { ...base.deploy, restartPolicy: undefined } : undefined,
        containerName: undefined,
        tty,
        stdinOpen: stdin,
        ...(flags.user ? { user: flags.user } : {}),
        ...(flags.workdir ? { workingDir: flags.workdir } : {}),
      };
      const oneoffs = await observeContainers(engine, project.name, { oneoff: true });
      const number = Math.max(0, ...oneoffs.filter((c) => c.service === serviceName).map((c) => c.number)) + 1;
      const name = flags.name ?? `${project.name}-${serviceName}-run-${randomBytes(6).toString('hex')}`;
      const running = await observeContainers(engine, project.name, { oneoff: false });
      const containerId = await createContainer(
        ctx,
        {
          service,
          number,
          name,
          oneoff: true,
          containerOf: (s) => running.find((c) => c.service === s)?.id,
        },
        (spec) => {
          spec.Env = [...(spec.Env ?? []), ...envEntries(flags.env)];
          spec.AttachStdin = stdin;
          spec.OpenStdin = stdin;
          spec.StdinOnce = stdin;
          spec.Image = serviceImage(project.name, base);
        },
      );
      if (flags.detach) {
        await engine.startContainer(containerId);
        console.log(name);
        return;
      }
      const stream = await engine.attachContainer(containerId, { stdin });
      const pumped = pumpStdio(engine, stream, { tty, stdin });
      try {
        await engine.startContainer(containerId);
      } catch (err) {
        await removeContainer(engine, containerId);
        throw new UserError(`service "${serviceName}": cannot start the one-off container: ${(err as Error).message}`);
      }
      const stopResizing = tty ? followWindowSize((h, w) => engine.resizeContainer(containerId, h, w)) : () => {};
      const result = await engine.waitContainer(containerId);
      await pumped;
      stopResizing();
      if (flags.rm) await removeContainer(engine, containerId, true);
      process.exitCode = result.StatusCode;
    });
}
