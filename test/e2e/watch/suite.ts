// The develop.watch suite, run against each engine (docker.test.ts, bundled.test.ts): busybox httpd
// services whose served files follow the host.
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { startWatch, type ActionEvent, type WatchHandle } from '../../../src/watch/index.js';
import { execInContainer, findServiceContainers } from '../../../src/watch/containers.js';
import { HTTPD_DOCKERFILE, httpdService, newStack, rule, waitFor, type TestStack } from './stack.js';

export interface SuiteEngine {
  docker: Docker;
  engineKey: string;
  close(): Promise<void>;
}

export function defineWatchSuite(engineName: string, engine: SuiteEngine | undefined): void {
  describe(`tscompose watch on ${engineName}`, { skip: !engine && `${engineName} is not available`, timeout: 170_000 }, () => {
    let stack: TestStack;
    let watch: WatchHandle | undefined;
    const events: ActionEvent[] = [];
    const lines: string[] = [];
    const www = () => path.join(stack.dir, 'www');
    const served = async (service: string, file: string, body: string, timeoutMs?: number) => {
      let last = { status: 0, body: '' };
      await waitFor(
        `${file} to read ${JSON.stringify(body)}`,
        async () => (last = await stack.get(service, file)).body === body,
        timeoutMs,
      ).catch((err: Error) => {
        throw new Error(`${err.message} (last answer from ${service}: ${last.status} ${JSON.stringify(last.body)})`);
      });
    };
    const gone = (service: string, file: string) =>
      waitFor(`${file} to be gone`, async () => (await stack.get(service, file)).status === 404);
    const containerOf = async (service: string) =>
      (await findServiceContainers(stack.engine, stack.project.name, service)).find((c) => c.running)!;

    before(async () => {
      stack = newStack(
        'tsc-watch',
        (context) => {
          mkdirSync(path.join(context, 'conf'));
          mkdirSync(path.join(context, 'hooks'));
          mkdirSync(path.join(context, 'seed'));
          writeFileSync(path.join(context, 'seed', 'hello.txt'), 'seeded\n');
          writeFileSync(path.join(context, '.dockerignore'), 'www/*.bak\n');
          return [
            httpdService('web', context, [
              rule({ action: 'sync', path: path.join(context, 'www'), target: '/www', ignore: ['*.secret', 'private/'] }),
              rule({ action: 'sync', path: path.join(context, 'seed'), target: '/www/seed', initialSync: true }),
              rule({
                action: 'sync+exec',
                path: path.join(context, 'hooks'),
                target: '/hooks',
                exec: { command: ['sh', '-c', 'cat /hooks/msg > /www/from-exec.txt'], environment: {} },
              }),
              rule({ action: 'rebuild', path: path.join(context, 'Dockerfile') }),
            ]),
            httpdService('app', context, [
              rule({ action: 'sync+restart', path: path.join(context, 'conf'), target: '/conf' }),
              rule({ action: 'restart', path: path.join(context, 'restart-trigger') }),
            ]),
          ];
        },
        engine,
      );
      await stack.up();
      watch = await startWatch({
        project: stack.project,
        engine: stack.engine,
        engineKey: stack.engineKey,
        prune: true,
        log: (line) => lines.push(line),
      });
      watch.events.on((e) => events.push(e));
      await watch.ready;
    });

    after(async () => {
      await watch?.close();
      await stack?.remove();
      await engine?.close();
    });

    test("initial_sync copies the rule's files when watch starts", async () => {
      await served('web', 'seed/hello.txt', 'seeded\n');
    });

    test('editing a file on the host changes what the container serves, with a one-line report', async () => {
      assert.equal((await stack.get('web', 'index.html')).body, 'v1\n');
      writeFileSync(path.join(www(), 'index.html'), 'v2\n');
      await served('web', 'index.html', 'v2\n');
      await waitFor('the report line', async () => lines.some((l) => /^web: synced 1 file \(www\/index.html\) in \d+ ms$/.test(l)));
    });

    test('new files in new directories arrive, and deleting removes them', async () => {
      mkdirSync(path.join(www(), 'a/b'), { recursive: true });
      writeFileSync(path.join(www(), 'a/b/new.txt'), 'new\n');
      await served('web', 'a/b/new.txt', 'new\n');
      rmSync(path.join(www(), 'a/b/new.txt'));
      await gone('web', 'a/b/new.txt');
    });

    test('a renamed directory moves in the container; a deleted and recreated file is current', async () => {
      mkdirSync(path.join(www(), 'old'));
      writeFileSync(path.join(www(), 'old/f.txt'), 'f\n');
      await served('web', 'old/f.txt', 'f\n');
      renameSync(path.join(www(), 'old'), path.join(www(), 'renamed'));
      await served('web', 'renamed/f.txt', 'f\n');
      await gone('web', 'old/f.txt');
      rmSync(path.join(www(), 'renamed/f.txt'));
      writeFileSync(path.join(www(), 'renamed/f.txt'), 'again\n');
      await served('web', 'renamed/f.txt', 'again\n');
    });

    test('a symlink is synced as a symlink', async () => {
      writeFileSync(path.join(www(), 'target.txt'), 'through the link\n');
      symlinkSync('target.txt', path.join(www(), 'link.txt'));
      await served('web', 'link.txt', 'through the link\n');
      const { output } = await execInContainer(stack.engine, (await containerOf('web')).id, { command: ['readlink', '/www/link.txt'] });
      assert.equal(output.trim(), 'target.txt');
    });

    test('ignored files (rule ignore, .dockerignore, editor temp files) never reach the container', async () => {
      writeFileSync(path.join(www(), 'key.secret'), 'no');
      writeFileSync(path.join(www(), 'old.bak'), 'no');
      writeFileSync(path.join(www(), '.index.html.swp'), 'no');
      mkdirSync(path.join(www(), 'private'));
      writeFileSync(path.join(www(), 'private/p.txt'), 'no');
      writeFileSync(path.join(www(), 'marker.txt'), 'm\n');
      await served('web', 'marker.txt', 'm\n');
      await watch!.idle();
      for (const file of ['key.secret', 'old.bak', '.index.html.swp', 'private/p.txt']) {
        assert.equal((await stack.get('web', file)).status, 404, file);
      }
      assert.ok(!events.some((e) => e.paths.some((p) => /secret|\.bak|\.swp|private/.test(p))));
    });

    test('a save that does not change the content is not synced again', async () => {
      writeFileSync(path.join(www(), 'same.txt'), 'same\n');
      await served('web', 'same.txt', 'same\n');
      await watch!.idle();
      const before = events.length;
      writeFileSync(path.join(www(), 'same.txt'), 'same\n'); // new mtime, same bytes
      writeFileSync(path.join(www(), 'marker2.txt'), 'm2\n');
      await served('web', 'marker2.txt', 'm2\n');
      await watch!.idle();
      const later = events.slice(before).flatMap((e) => e.paths);
      assert.ok(later.some((p) => p.endsWith('marker2.txt')));
      assert.ok(!later.some((p) => p.endsWith('same.txt')), later.join(','));
    });

    test('a burst of 1000 files lands in a few batches', async () => {
      await watch!.idle();
      const before = events.length;
      mkdirSync(path.join(www(), 'burst'));
      for (let i = 0; i < 1000; i++) writeFileSync(path.join(www(), 'burst', `f${i}.txt`), `${i}\n`);
      await served('web', 'burst/f999.txt', '999\n');
      await waitFor('all 1000 burst files', async () => {
        const { output } = await execInContainer(stack.engine, (await containerOf('web')).id, {
          command: ['sh', '-c', 'ls /www/burst | wc -l'],
        });
        return output.trim() === '1000';
      });
      const syncs = events.slice(before).filter((e) => e.kind === 'sync').length;
      assert.ok(syncs < 50, `${syncs} syncs for 1000 files`);
    });

    test('a 64 MiB file is streamed into the container', async () => {
      const chunk = Buffer.alloc(1024 * 1024, 'x');
      const fd = openSync(path.join(www(), 'huge.bin'), 'w');
      for (let i = 0; i < 64; i++) writeSync(fd, chunk);
      closeSync(fd);
      await waitFor(
        'huge.bin at full size',
        async () => {
          const { output } = await execInContainer(stack.engine, (await containerOf('web')).id, {
            command: ['sh', '-c', 'wc -c < /www/huge.bin 2>/dev/null || echo 0'],
          });
          return output.trim() === String(64 * 1024 * 1024);
        },
        30000,
        200,
      );
      rmSync(path.join(www(), 'huge.bin'));
      await gone('web', 'huge.bin');
    });

    test('a change while the container restarts still arrives', async () => {
      const restarting = stack.docker.getContainer((await containerOf('web')).id).restart({ t: 0 });
      writeFileSync(path.join(www(), 'during-restart.txt'), 'ok\n');
      await restarting;
      await served('web', 'during-restart.txt', 'ok\n');
    });

    test("an editor's atomic save (write a temp file, rename it over the original) is synced", async () => {
      writeFileSync(path.join(www(), 'atomic.txt'), 'one\n');
      await served('web', 'atomic.txt', 'one\n');
      for (const [i, body] of ['two\n', 'three\n'].entries()) {
        writeFileSync(path.join(www(), `atomic.txt.tmp-${i}`), body);
        renameSync(path.join(www(), `atomic.txt.tmp-${i}`), path.join(www(), 'atomic.txt'));
      }
      await served('web', 'atomic.txt', 'three\n');
      await watch!.idle();
      assert.equal((await stack.get('web', 'atomic.txt.tmp-1')).status, 404);
    });

    test('sync+exec runs the command after syncing', async () => {
      writeFileSync(path.join(stack.dir, 'hooks/msg'), 'hook ran\n');
      await served('web', 'from-exec.txt', 'hook ran\n');
    });

    test('sync+restart syncs and restarts the container', async () => {
      const id = (await containerOf('app')).id;
      const startedBefore = (await stack.docker.getContainer(id).inspect()).State.StartedAt;
      writeFileSync(path.join(stack.dir, 'conf/app.conf'), 'x=1\n');
      await waitFor('app to restart', async () => (await stack.docker.getContainer(id).inspect()).State.StartedAt !== startedBefore);
      await waitFor('app running', async () => !!(await containerOf('app')));
      const { output } = await execInContainer(stack.engine, id, { command: ['cat', '/conf/app.conf'] });
      assert.equal(output, 'x=1\n');
    });

    test('a restart rule restarts the container without syncing', async () => {
      await watch!.idle();
      const id = (await containerOf('app')).id;
      const startedBefore = (await stack.docker.getContainer(id).inspect()).State.StartedAt;
      writeFileSync(path.join(stack.dir, 'restart-trigger'), 'go\n');
      await waitFor('app to restart', async () => (await stack.docker.getContainer(id).inspect()).State.StartedAt !== startedBefore);
      await waitFor('the restart report', async () =>
        events.some((e) => e.kind === 'restart' && e.service === 'app' && e.paths.some((p) => p.endsWith('restart-trigger'))),
      );
    });

    test('a Dockerfile change rebuilds the image and recreates the container', async () => {
      const before = await containerOf('web');
      writeFileSync(
        path.join(stack.dir, 'Dockerfile'),
        [
          'FROM scratch',
          'COPY busybox /bin/busybox',
          'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
          ...HTTPD_DOCKERFILE.slice(0, 2),
          'RUN echo v2 > /www/version.txt',
          ...HTTPD_DOCKERFILE.slice(2),
          '',
        ].join('\n'),
      );
      await served('web', 'version.txt', 'v2\n', 60_000); // a rebuild, then a recreate: slow on a loaded machine
      const after = await containerOf('web');
      assert.notEqual(after.id, before.id);
      assert.notEqual(after.imageId, before.imageId);
      await watch!.idle();
      // --prune: the replaced image is gone
      await assert.rejects(stack.docker.getImage(before.imageId).inspect());
    });

    test('a failing rebuild keeps the old container running and reports the build error', async () => {
      await watch!.idle();
      const before = await containerOf('web');
      const errorsBefore = events.filter((e) => e.kind === 'error').length;
      writeFileSync(
        path.join(stack.dir, 'Dockerfile'),
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "exit 3"]\n',
      );
      await waitFor('the rebuild error', async () => events.filter((e) => e.kind === 'error').length > errorsBefore, 60000);
      const error = events.filter((e) => e.kind === 'error').at(-1)!;
      assert.match(error.message ?? '', /rebuild failed.*(returned a non-zero code: 3|exit code: 3)/s);
      const after = await containerOf('web');
      assert.equal(after?.id, before.id);
      assert.equal((await stack.get('web', 'version.txt')).body, 'v2\n');
    });
  });
}
