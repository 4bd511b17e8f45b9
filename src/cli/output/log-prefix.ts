// Log lines of several containers on one terminal: "web-1  | text", a stable colour per service.
import chalk, { type ChalkInstance } from 'chalk';

const PALETTE: ChalkInstance[] = [
  chalk.cyan,
  chalk.yellow,
  chalk.green,
  chalk.magenta,
  chalk.blue,
  chalk.red,
  chalk.cyanBright,
  chalk.yellowBright,
  chalk.greenBright,
  chalk.magentaBright,
  chalk.blueBright,
];

/** The same service always gets the same colour, whichever services run alongside it. */
export function serviceColour(service: string): ChalkInstance {
  let h = 0;
  for (const ch of service) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

export interface LogPrefixer {
  prefix(container: string, service: string): string;
}

export function logPrefixer(names: string[], opts: { colour: boolean; enabled: boolean }): LogPrefixer {
  const width = Math.max(0, ...names.map((n) => n.length));
  return {
    prefix(container, service) {
      if (!opts.enabled) return '';
      const text = `${container.padEnd(width)}  | `;
      return opts.colour ? serviceColour(service)(text) : text;
    },
  };
}

/** The short name compose prints: "web-1" for "<project>-web-1"; a custom container_name as is. */
export const displayName = (project: string, container: string): string =>
  container.startsWith(`${project}-`) ? container.slice(project.length + 1) : container;
