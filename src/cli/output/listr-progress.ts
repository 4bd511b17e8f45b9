// The terminal renderer: listr2 task lists, one task per resource whose title follows its state.
// Resources appear while the reconciler works, so they are collected into batches: a batch is one
// Listr run; resources that show up while it runs form the next batch. Drawn on stderr, like
// docker compose, so stdout stays for logs and data.
import type { ListrTaskWrapper } from 'listr2';
import type { ProgressReporter, ResourceKind } from '../../reconcile/progress.js';

// listr2 (~25 modules) is loaded with the first batch to draw: a command with nothing to show never pays for it
let listr2: Promise<typeof import('listr2') & { StderrRenderer: unknown }> | undefined;
const loadListr2 = () =>
  (listr2 ??= import('listr2').then((mod) => {
    // listr2 picks its renderer by stdout being a terminal; ours draws on stderr, which is what we checked.
    class StderrRenderer extends mod.DefaultRenderer {
      static override nonTTY = true;
    }
    return { ...mod, StderrRenderer };
  }));

interface Entry {
  title: string;
  task?: { title: string };
  settle?: (err?: Error) => void;
  outcome?: { err?: Error };
}

export function listrProgress(): ProgressReporter {
  const entries = new Map<string, Entry>();
  let pending: Entry[] = [];
  let chain: Promise<void> = Promise.resolve();
  let scheduled = false;
  const notes: string[] = [];

  const runBatch = async (batch: Entry[]) => {
    const { Listr, ListrLogger, ProcessOutput, StderrRenderer } = await loadListr2();
    const list = new Listr(
      batch.map((e) => ({
        title: e.title,
        task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
          new Promise<void>((resolve, reject) => {
            e.task = task as unknown as { title: string };
            task.title = e.title;
            e.settle = (err) => (err ? reject(err) : resolve());
            if (e.outcome) e.settle(e.outcome.err);
          }),
      })),
      {
        concurrent: true,
        exitOnError: false,
        rendererOptions: {
          collapseErrors: false,
          logger: new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(process.stderr, process.stderr) }),
        } as never,
        registerSignalListeners: false,
        renderer: StderrRenderer,
      } as never,
    );
    await list.run().catch(() => {});
    for (const n of notes.splice(0)) process.stderr.write(`${n}\n`);
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    chain = chain.then(async () => {
      scheduled = false;
      const batch = pending;
      pending = [];
      if (batch.length) await runBatch(batch);
    });
  };

  const entry = (kind: ResourceKind, name: string): Entry => {
    const key = `${kind} ${name}`;
    let e = entries.get(key);
    if (!e || e.outcome) {
      e = { title: key };
      entries.set(key, e);
      pending.push(e);
      schedule();
    }
    return e;
  };

  const setTitle = (e: Entry, title: string) => {
    e.title = title;
    if (e.task) e.task.title = title;
  };

  return {
    update(kind, name, status, final) {
      const e = entry(kind, name);
      setTitle(e, `${kind} ${name}  ${status}`);
      if (final) {
        e.outcome = {};
        e.settle?.();
      }
    },
    fail(kind, name, message) {
      const e = entry(kind, name);
      setTitle(e, `${kind} ${name}  Error`);
      e.outcome = { err: new Error(message) };
      e.settle?.(e.outcome.err);
    },
    note(text) {
      notes.push(text);
    },
    detail() {},
    async close() {
      // whatever is still open was cut short by an error elsewhere: show it as interrupted
      for (const e of entries.values()) {
        if (e.outcome) continue;
        setTitle(e, `${e.title}  (interrupted)`);
        e.outcome = { err: new Error('interrupted') };
        e.settle?.(e.outcome.err);
      }
      await chain;
      for (const n of notes.splice(0)) process.stderr.write(`${n}\n`);
    },
  };
}
