// `ls`: every project the engine has containers for.
import type { Command } from 'commander';
import { engineOnlyContext } from '../context.js';
import { LABEL } from '../../labels.js';
import { formatTable } from '../output/table.js';
import { byCodepoint } from '../../codepoint-order.js';

export interface ProjectSummary {
  Name: string;
  Status: string;
  ConfigFiles: string;
}

export function summarizeProjects(containers: { Labels: Record<string, string>; State: string }[]): ProjectSummary[] {
  const projects = new Map<string, { states: Map<string, number>; files: string }>();
  for (const c of containers) {
    const name = c.Labels[LABEL.project];
    if (!name) continue;
    const p = projects.get(name) ?? { states: new Map(), files: c.Labels[LABEL.configFiles] ?? '' };
    p.states.set(c.State, (p.states.get(c.State) ?? 0) + 1);
    projects.set(name, p);
  }
  return [...projects]
    .sort(([a], [b]) => byCodepoint(a, b))
    .map(([Name, p]) => ({
      Name,
      ConfigFiles: p.files,
      Status: [...p.states]
        .sort(([a], [b]) => byCodepoint(a, b))
        .map(([s, n]) => `${s}(${n})`)
        .join(', '),
    }));
}

export function register(program: Command): void {
  program
    .command('ls')
    .description('List running compose projects')
    .option('-a, --all', 'Show all stopped Compose projects')
    .option('-q, --quiet', 'Only display project names')
    .option('--filter <filter>', 'Filter output based on conditions provided (name=<project>)')
    .option('--format <format>', 'Format the output: table or json', 'table')
    .action(async (flags: { all?: boolean; quiet?: boolean; filter?: string; format?: string }, command: Command) => {
      const ctx = await engineOnlyContext(command);
      if (ctx.engineKind === 'swarm') return (await import('../../swarm/cli.js')).swarmLs(flags);
      const list = await ctx.engine.listContainers({ all: true, filters: { label: [LABEL.project] } });
      let projects = summarizeProjects(list);
      if (!flags.all) projects = projects.filter((p) => /running/.test(p.Status));
      const nameFilter = /^name=(.+)$/.exec(flags.filter ?? '')?.[1];
      if (nameFilter) projects = projects.filter((p) => p.Name.includes(nameFilter));
      if (flags.quiet) {
        for (const p of projects) console.log(p.Name);
        return;
      }
      if (flags.format === 'json') {
        console.log(JSON.stringify(projects));
        return;
      }
      console.log(
        formatTable(
          ['NAME', 'STATUS', 'CONFIG FILES'],
          projects.map((p) => [p.Name, p.Status, p.ConfigFiles]),
        ),
      );
    });
}
