// The one place errors reach the terminal: a user error is one paragraph, anything else is a bug
// report with its stack only when TSCOMPOSE_DEBUG is set. chalk is loaded here only when there is an error
// (its styles cost a command ~3 ms to set up).
import { UserError } from '../errors.js';

export async function reportError(err: unknown): Promise<number> {
  const { default: chalk } = await import('chalk');
  if (err instanceof UserError) {
    process.stderr.write(`${chalk.red('error:')} ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as { message?: string; stack?: string; code?: string };
  if (e?.code === 'ECONNREFUSED' || (e?.code === 'ENOENT' && /sock/.test(e.message ?? ''))) {
    process.stderr.write(`${chalk.red('error:')} cannot reach the engine: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`${chalk.red('error:')} ${e?.message ?? String(err)}\n`);
  if (process.env.TSCOMPOSE_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return 1;
}
