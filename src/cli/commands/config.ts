// `tscompose config`: parse, resolve and render the stack in canonical form, like `docker compose config`.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { globalOptions } from '../program.js';
import { toLoadOptions } from '../global-options.js';
import { loadCommandProject } from '../load-project.js';
import { serializeProject, toJson, toYaml } from '../../model/serialize.js';
import { allProfiles } from '../../model/profiles.js';
import { projectVariables } from '../../model/variables.js';
import type { TemplateVariable } from '../../model/interpolate.js';
import { buildGraph } from '../../graph/index.js';
import { serviceConfigHash } from '../../reconcile/config-hash.js';
import type { Project } from '../../model/types.js';
import { byCodepoint } from '../../codepoint-order.js';

interface ConfigOptions {
  format: string;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  profiles?: boolean;
  images?: boolean;
  variables?: boolean;
  hash?: string;
  quiet?: boolean;
  interpolate: boolean;
  output?: string;
}

export function register(program: Command): void {
  program
    .command('config')
    .description('Parse, resolve and render the stack file in canonical format')
    .argument('[services...]', 'only these services (and what they depend on)')
    .option('--format <format>', 'Format the output: yaml or json', 'yaml')
    .option('--services', 'Print the service names, one per line')
    .option('--volumes', 'Print the volume names, one per line')
    .option('--networks', 'Print the network names, one per line')
    .option('--profiles', 'Print the profile names, one per line')
    .option('--images', 'Print the image names, one per line')
    .option('--variables', 'Print the interpolation variables the stack files use, with their defaults')
    .option('--hash <services>', 'Print the config hash of these services ("*" for all, or a comma-separated list)')
    .option('-q, --quiet', 'Only validate the configuration, print nothing')
    .option('--no-interpolate', 'Do not interpolate environment variables')
    .option('-o, --output <path>', 'Save to this file instead of printing to stdout')
    .action(async (services: string[], opts: ConfigOptions, command: Command) => {
      if (!['yaml', 'json'].includes(opts.format)) throw new UserError(`unsupported --format "${opts.format}": use yaml or json`);
      if (opts.variables) {
        writeStdout(variablesTable(await projectVariables(toLoadOptions(globalOptions(command))), opts.format));
        return;
      }
      const project = await loadCommandProject({ ...toLoadOptions(globalOptions(command)), interpolate: opts.interpolate, services });
      for (const w of project.warnings ?? []) process.stderr.write(`WARN: ${w}\n`);
      if ((globalOptions(command).engine ?? process.env.TSCOMPOSE_ENGINE) === 'swarm') {
        const { unsupportedWarnings } = await import('../../swarm/unsupported.js');
        for (const s of Object.values(project.services)) for (const w of unsupportedWarnings(s)) process.stderr.write(`WARN: ${w}\n`);
      }
      buildGraph(project); // dependency cycles are errors here too
      if (services.length) restrictTo(project, services);
      if (opts.quiet) return;
      const text = render(project, opts);
      if (opts.output) writeFileSync(opts.output, text);
      else writeStdout(text);
    });
}

function restrictTo(project: Project, services: string[]): void {
  const keep = new Set(buildGraph(project).levelsFor(services).flat());
  for (const name of Object.keys(project.services)) if (!keep.has(name)) delete project.services[name];
  const usedNetworks = new Set(Object.values(project.services).flatMap((s) => Object.keys(s.networks)));
  const usedVolumes = new Set(Object.values(project.services).flatMap((s) => s.volumes.map((v) => v.source ?? '')));
  for (const k of Object.keys(project.networks)) if (!usedNetworks.has(k)) delete project.networks[k];
  for (const k of Object.keys(project.volumes)) if (!usedVolumes.has(k)) delete project.volumes[k];
}

function lines(items: string[]): string {
  return items.length ? `${items.join('\n')}\n` : '';
}

function render(project: Project, opts: ConfigOptions): string {
  if (opts.services) return lines(Object.keys(project.services).sort());
  if (opts.volumes) return lines(Object.keys(project.volumes).sort());
  if (opts.networks) return lines(Object.keys(project.networks).sort());
  if (opts.profiles) {
    const all = { ...project.disabledServices, ...project.services };
    return lines(allProfiles(Object.fromEntries(Object.entries(all).map(([n, s]) => [n, s.profiles]))));
  }
  if (opts.hash !== undefined) {
    const wanted =
      opts.hash === '*'
        ? Object.keys(project.services)
        : opts.hash
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
    for (const name of wanted) if (!project.services[name]) throw new UserError(`no such service: ${name}`);
    return lines(wanted.sort().map((name) => `${name} ${serviceConfigHash(project.services[name]!)}`));
  }
  if (opts.images) {
    return lines(
      Object.values(project.services)
        .sort((a, b) => byCodepoint(a.name, b.name))
        .map((s) => s.image ?? `${project.name}-${s.name}`),
    );
  }
  const doc = serializeProject(project);
  const text = opts.format === 'json' ? toJson(doc) : toYaml(doc);
  // like docker compose: after interpolation every remaining "$" is literal, so it is written as
  // "$$" and the output can be used as a stack file again
  return opts.interpolate ? text.replaceAll('$', '$$$$') : text;
}

function variablesTable(vars: TemplateVariable[], format: string): string {
  if (format === 'json') return toJson(Object.fromEntries(vars.map((v) => [v.name, v])));
  const rows = [
    ['NAME', 'REQUIRED', 'DEFAULT VALUE', 'ALTERNATE VALUE'],
    ...vars.map((v) => [v.name, v.required ? 'true' : 'false', v.defaultValue ?? '', v.alternateValue ?? '']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('   ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** `tscompose config | head` closes the pipe early: that is not an error. */
function writeStdout(text: string): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  process.stdout.write(text);
}
