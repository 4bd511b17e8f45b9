// The bundled CLI (dist/cli/main.js, built by scripts/bundle-cli.mjs) loads per command only what that
// command needs: read from the bundle's metafile, following the static imports from main.js and the
// command's own chunk (dynamic imports load later, and only when a path takes them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../../..');
const metaFile = path.join(repo, 'dist/cli/bundle-meta.json');
const built = existsSync(metaFile);
const skip = built ? false : 'dist/cli is not built (npm run build)';

interface Output {
  entryPoint?: string;
  inputs: Record<string, unknown>;
  imports: { path: string; kind: string; external?: boolean }[];
}
const outputs = (): Record<string, Output> => (JSON.parse(readFileSync(metaFile, 'utf8')) as { outputs: Record<string, Output> }).outputs;

/** Every source file that is evaluated before `command`'s action runs. */
function loadedFor(command: string): string[] {
  const all = outputs();
  const commandChunk = Object.keys(all).find((f) => all[f]!.entryPoint === `src/cli/commands/${command}.ts`);
  assert.ok(commandChunk, `no chunk for the ${command} command`);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !all[file]) return;
    seen.add(file);
    for (const i of all[file]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit('dist/cli/main.js');
  visit(commandChunk);
  return [...seen].flatMap((f) => Object.keys(all[f]!.inputs));
}

const offenders = (files: string[], pattern: RegExp) => files.filter((f) => pattern.test(f));

test('version and config load neither the engine client nor the progress, watch or schema-compiler packages', { skip }, () => {
  for (const command of ['version', 'config']) {
    assert.deepEqual(
      offenders(
        loadedFor(command),
        /node_modules\/(dockerode|docker-modem|ssh2|@grpc|protobufjs|listr2|chokidar|tar-stream|ajv)\/|src\/(engine|reconcile\/(up|images)|watch)\//,
      ),
      [],
      command,
    );
  }
  assert.deepEqual(offenders(loadedFor('version'), /node_modules\/yaml\//), [], 'version parses no YAML');
});

test('config, up, ps and down load the yaml package only when a file is not in the YAML cache', { skip }, () => {
  for (const command of ['config', 'up', 'ps', 'down'])
    assert.deepEqual(offenders(loadedFor(command), /node_modules\/yaml\/|src\/model\/yaml-reader\.ts/), [], command);
});

test('up, ps, down and config load neither dockerode nor tar-stream, listr2 or the watcher', { skip }, () => {
  for (const command of ['up', 'ps', 'down', 'config']) {
    assert.deepEqual(
      offenders(
        loadedFor(command),
        /node_modules\/(dockerode|docker-modem|ssh2|@grpc|protobufjs|tar-stream|streamx|tar-fs|listr2|chokidar|cpu-features)\//,
      ),
      [],
      command,
    );
  }
  assert.ok(offenders(loadedFor('ps'), /^src\/client\/http-engine-client\.ts$/).length, 'ps talks to the engine over node:http');
});

test(
  'the dockerode client is a chunk of its own, loaded by a dynamic import, without its ssh transport and BuildKit session',
  { skip },
  () => {
    const all = outputs();
    const chunk = Object.keys(all).find((f) => all[f]!.entryPoint === 'src/client/dockerode-client.ts');
    assert.ok(chunk, 'src/client/dockerode-client.ts is split out');
    const importers = Object.keys(all).filter((f) => all[f]!.imports.some((i) => i.path === chunk && i.kind === 'dynamic-import'));
    assert.ok(
      importers.some((f) => Object.keys(all[f]!.inputs).includes('src/client/connect.ts')),
      'connect.ts imports it dynamically',
    );
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file) || !all[file]) return;
      seen.add(file);
      for (const i of all[file]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
    };
    visit(chunk);
    const loaded = [...seen].flatMap((f) => Object.keys(all[f]!.inputs));
    assert.ok(offenders(loaded, /node_modules\/dockerode\/lib\/docker\.js$/).length, 'the chunk brings dockerode');
    assert.deepEqual(
      offenders(
        loaded,
        /node_modules\/(ssh2|@grpc|protobufjs)\/|node_modules\/dockerode\/lib\/(session|buildkit)\.js$|node_modules\/docker-modem\/lib\/ssh\.js$/,
      ),
      [],
    );
  },
);

test('the engine command runs the daemon from dist/engine, where its helper scripts and profiles are', { skip }, () => {
  const all = outputs();
  const engineChunk = Object.keys(all).find((f) => all[f]!.entryPoint === 'src/cli/commands/engine.ts')!;
  const daemon = all[engineChunk]!.imports.find((i) => i.external && i.path.endsWith('engine/daemon.js'));
  assert.ok(daemon, 'the engine command imports the daemon from outside the bundle');
  assert.ok(existsSync(path.resolve(repo, 'dist/cli', daemon.path)), `${daemon.path} exists beside dist/cli`);
  assert.deepEqual(
    offenders(
      Object.values(all).flatMap((o) => Object.keys(o.inputs)),
      /^src\/engine\/(daemon|engine|containers|images)\//,
    ),
    [],
    'no engine internals are bundled',
  );
});
