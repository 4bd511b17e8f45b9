// A command on a real terminal, as a person at a terminal runs it: util-linux `script` gives it a pty,
// whose window the test resizes from outside (TIOCSWINSZ through `stty -F` on the pty, which sends SIGWINCH
// to the command as a terminal emulator's resize does).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { shellQuote } from '../../src/shell-quote.js';

export class PtySession {
  private readonly child: ChildProcess;
  private text = '';
  private readonly waiters = new Set<() => void>();
  /** the command's exit status */
  readonly exited: Promise<number>;
  private pts?: string;

  /** Runs `argv` on a new terminal of `rows` x `columns`. */
  constructor(argv: string[], opts: { rows: number; columns: number; env?: NodeJS.ProcessEnv }) {
    // the shell says which pty it is on, sets its size, then becomes the command
    const line = `tty; stty rows ${opts.rows} cols ${opts.columns}; exec ${argv.map(shellQuote).join(' ')}`;
    this.child = spawn('script', ['-q', '-f', '-e', '-c', line, '/dev/null'], { env: opts.env ?? process.env, stdio: 'pipe' });
    const take = (d: Buffer) => {
      this.text += d.toString('utf8');
      for (const w of [...this.waiters]) w();
    };
    this.child.stdout!.on('data', take);
    this.child.stderr!.on('data', take);
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? 15 : 0))));
  }

  /** Everything the terminal showed so far. */
  get output(): string {
    return this.text;
  }

  /** Resolves with the first match of `pattern` in the output (after `from`), failing after `limitMs`. */
  waitFor(pattern: RegExp, limitMs = 30_000, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.text.slice(from).match(pattern);
        if (!m) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${pattern} on the terminal; it showed: ${JSON.stringify(this.text)}`));
      }, limitMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Resizes the terminal, as a terminal emulator does when its window changes. */
  async resize(rows: number, columns: number): Promise<void> {
    this.pts ??= (await this.waitFor(/(\/dev\/pts\/\d+)\r?\n/))[1]!;
    const r = spawnSync('stty', ['-F', this.pts, 'rows', String(rows), 'cols', String(columns)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`stty -F ${this.pts}: ${r.stderr}`);
  }

  /** Types on the terminal. */
  type(data: string): void {
    this.child.stdin!.write(data);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
