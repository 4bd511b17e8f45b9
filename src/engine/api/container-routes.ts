// /containers/*: the Docker Engine API's container endpoints over ContainerManagement.
import { parseFilters, queryBool, readJson, sendJson, sendNoContent } from './http.js';
import { conflict, invalid, notFound, notImplemented } from '../errors.js';
import type { Router } from './router.js';
import { openRawStream } from './server.js';
import { frame } from '../containers/logs.js';
import type { ContainerManagement, WaitCondition } from '../contracts.js';
import type { ExecService } from '../containers/exec.js';
import { windowDimension } from '../containers/window-size.js';
import { inspectView, matchesFilters, summaryView } from '../containers/inspect.js';
import { parseTimeParam, streamEntries } from '../containers/logs.js';
import { MissingPathError, extractInto, packPath, statPath } from '../containers/archive.js';
import { containerStats } from '../containers/stats.js';
import { rwLayerSize } from '../containers/rw-layer.js';
import { DEFAULT_DETACH_KEYS, DetachFilter, parseDetachKeys } from '../containers/detach-keys.js';

const optionalInt = (v: string | null): number | undefined => (v === null || v === '' ? undefined : Number.parseInt(v, 10));

export function registerContainerRoutes(router: Router, containers: ContainerManagement, execs: ExecService): void {
  router.add('POST', '/containers/create', async ({ req, res, query }) => {
    const body = await readJson<Record<string, any>>(req);
    sendJson(res, 201, await containers.create(body, query.get('name')));
  });

  router.add('GET', '/containers/json', ({ res, query }) => {
    const filters = parseFilters(query);
    const all = queryBool(query, 'all') || Boolean(filters.status?.length);
    let list = containers
      .list()
      .filter((c) => all || c.state.running)
      .filter((c) => matchesFilters(c, filters))
      .sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
    const limit = optionalInt(query.get('limit'));
    if (limit && limit > 0) list = list.slice(0, limit);
    sendJson(res, 200, list.map(summaryView));
  });

  router.add('GET', '/containers/:id/json', ({ res, params }) => {
    const rec = containers.get(params.id!);
    sendJson(res, 200, inspectView(rec, containers.layout(rec.id), execs.idsFor(rec.id)));
  });

  router.add('POST', '/containers/:id/start', async ({ req, res, params }) => {
    req.resume(); // no body expected: drain whatever the client sent
    const r = await containers.start(params.id!);
    sendNoContent(res, r === 'already' ? 304 : 204);
  });

  router.add('POST', '/containers/:id/stop', async ({ req, res, params, query }) => {
    req.resume(); // no body expected: drain whatever the client sent
    const stopped = await containers.stop(
      params.id!,
      optionalInt(query.get('t') ?? query.get('timeout')),
      query.get('signal') ?? undefined,
    );
    sendNoContent(res, stopped ? 204 : 304);
  });

  router.add('POST', '/containers/:id/restart', async ({ req, res, params, query }) => {
    req.resume(); // no body expected: drain whatever the client sent
    await containers.restart(params.id!, optionalInt(query.get('t') ?? query.get('timeout')), query.get('signal') ?? undefined);
    sendNoContent(res);
  });

  router.add('POST', '/containers/:id/kill', async ({ req, res, params, query }) => {
    req.resume(); // no body expected: drain whatever the client sent
    await containers.kill(params.id!, query.get('signal') || 'SIGKILL');
    sendNoContent(res);
  });

  router.add('POST', '/containers/:id/pause', async ({ req, res, params }) => {
    req.resume();
    await containers.pause(params.id!);
    sendNoContent(res);
  });
  router.add('POST', '/containers/:id/unpause', async ({ req, res, params }) => {
    req.resume();
    await containers.unpause(params.id!);
    sendNoContent(res);
  });

  router.add('DELETE', '/containers/:id', async ({ res, params, query }) => {
    if (queryBool(query, 'link')) await containers.removeLink(params.id!);
    else await containers.remove(params.id!, { force: queryBool(query, 'force'), volumes: queryBool(query, 'v') });
    sendNoContent(res);
  });

  // a legacy link's name, "<parent>/<alias>", as the path of DELETE ...?link=1
  router.add('DELETE', '/containers/*link', async ({ res, params, query }) => {
    if (!queryBool(query, 'link')) throw notFound(`No such container: ${params.link}`);
    await containers.removeLink(params.link!);
    sendNoContent(res);
  });

  router.add('POST', '/containers/:id/update', async ({ req, res, params }) => {
    sendJson(res, 200, { Warnings: await containers.update(params.id!, await readJson(req)) });
  });

  router.add('POST', '/containers/:id/rename', async ({ req, res, params, query }) => {
    req.resume(); // no body expected: drain whatever the client sent
    const name = query.get('name');
    if (!name) throw invalid('name is required');
    await containers.rename(params.id!, name);
    sendNoContent(res);
  });

  router.add('POST', '/containers/:id/resize', ({ res, params, query }) => {
    const { height, width } = windowSize(query);
    containers.resize(params.id!, height, width);
    sendNoContent(res, 200);
  });

  router.add('GET', '/containers/:id/stats', async ({ res, params, query }) => {
    const rec = containers.get(params.id!);
    const stream = query.get('stream') === null ? true : queryBool(query, 'stream');
    const oneShot = queryBool(query, 'one-shot');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let first = await containerStats(rec);
    if (!stream) {
      if (!oneShot && rec.state.running) {
        await new Promise((r) => setTimeout(r, 1000));
        first = await containerStats(rec, first.sample);
      }
      res.end(JSON.stringify(first.doc) + '\n');
      return;
    }
    let closed = false;
    res.once('close', () => {
      closed = true;
    });
    let prev = first;
    res.write(JSON.stringify(prev.doc) + '\n');
    while (!closed && rec.state.running) {
      await new Promise((r) => setTimeout(r, 1000));
      prev = await containerStats(rec, prev.sample);
      if (!closed) res.write(JSON.stringify(prev.doc) + '\n');
    }
    res.end();
  });

  router.add('GET', '/containers/:id/top', async ({ res, params, query }) => {
    sendJson(res, 200, await containers.top(params.id!, query.get('ps_args') || undefined));
  });

  router.add('POST', '/containers/:id/wait', async ({ req, res, params, query }) => {
    req.resume();
    const condition = (query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw invalid(`invalid condition: "${condition}"`);
    const rec = containers.get(params.id!);
    // The answer comes when the container exits; headers go out now so clients know the wait is in place.
    const result = containers.wait(rec.id, condition, new Promise((r) => res.once('close', () => r())));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const exitCode = await result;
    if (!res.destroyed) res.end(JSON.stringify({ StatusCode: exitCode, Error: null }) + '\n');
  });

  router.add('GET', '/containers/:id/logs', async ({ res, params, query }) => {
    const rec = containers.get(params.id!);
    if (rec.hostConfig.LogConfig?.Type === 'none') throw notImplemented('configured logging driver does not support reading');
    const stdout = queryBool(query, 'stdout');
    const stderr = queryBool(query, 'stderr');
    if (!stdout && !stderr) throw invalid('Bad parameters: you must choose at least one stream');
    const follow = queryBool(query, 'follow');
    const tailRaw = query.get('tail');
    const tail = !tailRaw || tailRaw === 'all' ? undefined : Number.parseInt(tailRaw, 10);
    const tty = Boolean(rec.config.Tty);
    res.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    res.flushHeaders();
    let closed = false;
    res.once('close', () => {
      closed = true;
    });
    const running = rec.state.running || rec.state.status === 'restarting';
    const until =
      follow && running
        ? Promise.race([containers.nextExit(rec.id).then(() => {}), new Promise<void>((r) => res.once('close', () => r()))])
        : undefined;
    await streamEntries({
      file: containers.layout(rec.id).log,
      tty,
      stdout,
      stderr,
      timestamps: queryBool(query, 'timestamps'),
      tail: Number.isNaN(tail) ? undefined : tail,
      sinceMs: parseTimeParam(query.get('since')),
      untilMs: parseTimeParam(query.get('until')),
      until,
      write: (c) => res.write(c),
      isClosed: () => closed,
    });
    res.end();
  });

  router.add('POST', '/containers/:id/attach', async (ctx) => {
    const rec = containers.get(ctx.params.id!);
    const q = ctx.query;
    const tty = Boolean(rec.config.Tty);
    const file = containers.layout(rec.id).log;
    const fromEnd = !queryBool(q, 'logs');
    const stream = queryBool(q, 'stream');
    let keys: number[];
    try {
      keys = parseDetachKeys(q.get('detachKeys') || DEFAULT_DETACH_KEYS);
    } catch {
      throw invalid(`Invalid detach keys (${q.get('detachKeys')}) provided`);
    }
    const stdio = openRawStream(ctx, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    let closed = false;
    let detach!: () => void;
    const detached = new Promise<void>((r) => {
      detach = r;
    });
    const gone = new Promise<void>((r) =>
      stdio.out.once('close', () => {
        closed = true;
        r();
      }),
    );
    if (queryBool(q, 'stdin') && stdio.input && rec.config.OpenStdin) {
      // as Docker: the detach sequence is looked for on a TTY only; it closes the stream, the container runs on
      const filter = tty ? new DetachFilter(keys) : undefined;
      const input = stdio.input;
      const onData = (d: Buffer) => {
        const r = filter ? filter.push(d) : { data: d, detached: false };
        if (r.data.length) containers.sendStdin(rec.id, r.data);
        if (r.detached) {
          input.off('data', onData);
          closed = true;
          detach();
        }
      };
      input.on('data', onData);
      input.on('end', () => {
        if (rec.config.StdinOnce && !closed) containers.endStdin(rec.id);
      });
      input.resume(); // paused by the server if the request had a body
    }
    await streamEntries({
      file,
      fromEnd,
      tty,
      stdout: queryBool(q, 'stdout'),
      stderr: queryBool(q, 'stderr'),
      until: stream ? Promise.race([containers.nextExit(rec.id).then(() => {}), gone, detached]) : undefined,
      write: (c) => stdio.out.write(c),
      isClosed: () => closed,
    });
    stdio.end();
  });

  router.add('HEAD', '/containers/:id/archive', async ({ res, params, query }) => {
    const stat = await containers
      .withRootfs(params.id!, (rootfs) => statPath(rootfs, query.get('path') ?? '/'))
      .catch(namingContainer(params.id!));
    res.writeHead(200, { 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') });
    res.end();
  });

  router.add('GET', '/containers/:id/archive', async ({ res, params, query }) => {
    containers.get(params.id!);
    const p = query.get('path');
    if (!p) throw invalid('path is required');
    await containers
      .withRootfs(params.id!, async (rootfs) => {
        const stat = await statPath(rootfs, p);
        res.writeHead(200, {
          'Content-Type': 'application/x-tar',
          'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64'),
        });
        await packPath(rootfs, p, res);
      })
      .catch(namingContainer(params.id!));
  });

  router.add('PUT', '/containers/:id/archive', async ({ req, res, params, query }) => {
    const rec = containers.get(params.id!);
    const p = query.get('path');
    if (!p) throw invalid('path is required');
    if (rec.hostConfig.ReadonlyRootfs) throw conflict('container rootfs is marked read-only');
    const noOverwriteDirNonDir = ['1', 'true'].includes(query.get('noOverwriteDirNonDir') ?? '');
    await containers
      .withRootfs(rec.id, (rootfs) => extractInto(rootfs, p, req, { noOverwriteDirNonDir }))
      .catch(namingContainer(params.id!));
    sendNoContent(res, 200);
  });

  router.add('POST', '/containers/prune', async ({ res, query }) => {
    const filters = parseFilters(query);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of containers.list()) {
      if (c.state.running || !matchesFilters(c, { label: filters.label ?? [] })) continue;
      const size = rwLayerSize(containers.layout(c.id).upper);
      await containers.remove(c.id, {});
      deleted.push(c.id);
      reclaimed += size;
    }
    sendJson(res, 200, { ContainersDeleted: deleted, SpaceReclaimed: reclaimed });
  });

  router.add('POST', '/containers/:id/exec', async ({ req, res, params }) => {
    sendJson(res, 201, execs.create(params.id!, await readJson(req)));
  });

  router.add('POST', '/exec/:id/start', async (ctx) => {
    const body = await readJson<{ Detach?: boolean; Tty?: boolean }>(ctx.req);
    const ex = execs.get(ctx.params.id!);
    if (ex.Running || ex.ExitCode !== null) throw conflict(`Error: Exec command ${ex.ID} has already run`);
    if (body.Detach) {
      // answered once the process runs (inspect then says Running), or with the error that kept it from starting
      await new Promise<void>((resolve, reject) => {
        execs.start(ex.ID, { onStarted: resolve }).then(() => resolve(), reject);
      });
      sendNoContent(ctx.res, 200);
      return;
    }
    // Docker frames the output unless the start request asks for Tty (the process's terminal follows the create)
    const raw = Boolean(body.Tty);
    const stdio = openRawStream(ctx, raw ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    try {
      await execs.start(ex.ID, { out: stdio.out, input: stdio.input, rawOutput: raw, onDetach: () => stdio.end() });
    } catch (err) {
      // the connection is a raw stream now: as Docker, the error goes down it (as stdout) and the stream ends
      const text = Buffer.from(`${(err as Error).message}\r\n`);
      stdio.out.write(raw ? text : frame('stdout', text));
    } finally {
      stdio.end();
    }
  });

  router.add('POST', '/exec/:id/resize', ({ res, params, query }) => {
    const { height, width } = windowSize(query);
    execs.resize(params.id!, height, width);
    sendNoContent(res, 200);
  });
  router.add('GET', '/exec/:id/json', ({ res, params }) => {
    sendJson(res, 200, execs.inspect(params.id!));
  });
}

/** `?h=&w=` of a resize request: as Docker, both required, whole numbers a terminal can have. */
function windowSize(query: URLSearchParams): { height: number; width: number } {
  const dimension = (key: 'h' | 'w') => {
    const text = query.get(key) ?? '';
    const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
    if (!windowDimension(n)) throw invalid(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
    return n;
  };
  return { height: dimension('h'), width: dimension('w') };
}

/** Docker names the container as the request did in "Could not find the file … in container <ref>". */
function namingContainer(ref: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof MissingPathError) throw notFound(`${err.message} ${ref}`);
    throw err;
  };
}
