// The bundled CLI (dist/cli/cli.cjs, built by scripts/bundle-cli.mjs) evaluates per command only what that
// command needs: read from the bundle's metafile, following the static imports from run.ts and from the
// command's own module (what only a dynamic import reaches is evaluated later, and only when a path takes
// it). Packages outside the bundle are vendor bundles (dist/cli/vendor/), required when first imported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../../..');
const metaFile = path.join(repo, 'dist/cli/cli-meta.json');
const vendorMetaFile = path.join(repo, 'dist/cli/vendor/meta.json');
const built = existsSync(metaFile) && existsSync(vendorMetaFile);
const skip = built ? false : 'dist/cli is not built (npm run build)';

interface Input {
  imports: { path: string; kind: string; external?: boolean }[];
}
interface Meta {
  inputs: Record<string, Input>;
  outputs: Record<string, { inputs: Record<string, unknown>; imports: { path: string; kind: string; external?: boolean }[] }>;
}
const meta = (file = metaFile): Meta => JSON.parse(readFileSync(file, 'utf8')) as Meta;

/** Every source file and vendor bundle evaluated before `command`'s action runs. */
function loadedFor(command: string): string[] {
  const { inputs } = meta();
  const commandModule = `src/cli/commands/${command}.ts`;
  assert.ok(inputs[commandModule], `no module for the ${command} command`);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of inputs[file]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
  };
  visit('src/cli/run.ts');
  visit(commandModule);
  return [...seen];
}

const offenders = (files: string[], pattern: RegExp) => files.filter((f) => pattern.test(f));

test('version and config load neither the engine client nor the progress, watch or YAML packages', { skip }, () => {
  for (const command of ['version', 'config']) {
    assert.deepEqual(
      offenders(
        loadedFor(command),
        /vendor\/(dockerode|tar-stream|listr2|chokidar|ignore)\.cjs$|src\/(engine|reconcile\/(up|images)|watch)\//,
      ),
      [],
      command,
    );
  }
  assert.deepEqual(offenders(loadedFor('version'), /vendor\/yaml\.cjs$|src\/model\/yaml-reader\.ts/), [], 'version parses no YAML');
});

test('config, up, ps and down load the yaml package only when a file is not in the YAML cache', { skip }, () => {
  for (const command of ['config', 'up', 'ps', 'down'])
    assert.deepEqual(offenders(loadedFor(command), /vendor\/yaml\.cjs$|src\/model\/yaml-reader\.ts/), [], command);
});

test('up, ps, down and config load neither dockerode nor tar-stream, listr2 or the watcher', { skip }, () => {
  for (const command of ['up', 'ps', 'down', 'config']) {
    assert.deepEqual(offenders(loadedFor(command), /vendor\/(dockerode|tar-stream|listr2|chokidar)\.cjs$/), [], command);
  }
  assert.ok(offenders(loadedFor('ps'), /^src\/client\/http-engine-client\.ts$/).length, 'ps talks to the engine over node:http');
  for (const command of ['up', 'ps', 'down', 'config'])
    assert.deepEqual(offenders(loadedFor(command), /node_modules\/chalk\//), [], `${command} sets up no colours before it has any to show`);
  assert.ok(offenders(loadedFor('logs'), /node_modules\/chalk\//).length, 'logs, which colours its prefixes, loads chalk');
  assert.ok(offenders(loadedFor('cp'), /^\.\/vendor\/tar-stream\.cjs$/).length, 'cp, which archives files, loads tar-stream');
});

test('a command that finds the bundled engine up loads nothing that starts it (child_process, the runtime check)', { skip }, () => {
  for (const command of ['up', 'ps', 'down'])
    assert.deepEqual(offenders(loadedFor(command), /^src\/(client\/launch-engine|engine\/runtime\/oci-runtime)\.ts$/), [], command);
  const { inputs } = meta();
  assert.ok(
    inputs['src/client/start-engine.ts']!.imports.some((i) => i.path === 'src/client/launch-engine.ts' && i.kind === 'dynamic-import'),
    'start-engine.ts imports launch-engine.ts when the engine does not answer',
  );
});

test('built-ins are required as they are: no interop object with a getter per property', { skip }, () => {
  for (const file of ['cli.cjs', 'tscompose.cjs']) {
    const text = readFileSync(path.join(repo, 'dist/cli', file), 'utf8');
    assert.match(text, /__tscBuiltin\(require\("node:path"\)\)/, file);
    assert.doesNotMatch(text, /__toESM\(require\("node:/, file);
  }
});

test('every package but commander, chalk and dotenv is a vendor bundle of its own', { skip }, () => {
  const bundled = Object.keys(meta().inputs).filter((f) => f.includes('node_modules/'));
  assert.deepEqual(offenders(bundled, /node_modules\/(?!(commander|chalk|dotenv)\/)/), []);
  for (const pkg of ['yaml', 'dockerode', 'listr2', 'chokidar', 'tar-stream'])
    assert.ok(existsSync(path.join(repo, 'dist/cli/vendor', `${pkg}.cjs`)), `vendor/${pkg}.cjs`);
});

test(
  'the dockerode client is loaded by a dynamic import, and its bundle leaves out the ssh transport and BuildKit session',
  { skip },
  () => {
    const { inputs } = meta();
    assert.ok(
      inputs['src/client/connect.ts']!.imports.some((i) => i.path === 'src/client/dockerode-client.ts' && i.kind === 'dynamic-import'),
      'connect.ts imports it dynamically',
    );
    const vendor = meta(vendorMetaFile).outputs;
    const dockerode = Object.keys(vendor).find((f) => f.endsWith('vendor/dockerode.cjs'));
    assert.ok(dockerode, 'vendor/dockerode.cjs is built');
    const held = Object.keys(vendor[dockerode]!.inputs);
    assert.ok(offenders(held, /node_modules\/dockerode\/lib\/docker\.js$/).length, 'the bundle holds dockerode');
    assert.deepEqual(
      offenders(
        held,
        /node_modules\/(ssh2|@grpc|protobufjs)\/|node_modules\/dockerode\/lib\/(session|buildkit)\.js$|node_modules\/docker-modem\/lib\/ssh\.js$/,
      ),
      [],
    );
  },
);

test('the engine command runs the daemon from dist/engine, where its helper scripts and profiles are', { skip }, () => {
  const { inputs } = meta();
  const daemon = inputs['src/cli/commands/engine.ts']!.imports.find((i) => i.external && i.path.endsWith('engine/daemon.js'));
  assert.ok(daemon, 'the engine command imports the daemon from outside the bundle');
  assert.ok(existsSync(path.resolve(repo, 'dist/cli', daemon.path)), `${daemon.path} exists beside dist/cli`);
  assert.deepEqual(
    offenders(Object.keys(inputs), /^src\/engine\/(daemon|engine|containers|images)\//),
    [],
    'no engine internals are bundled',
  );
});

test('the bin is the CommonJS launcher, and config starts without node:net, child_process or the ES-module loader', { skip }, () => {
  const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { bin: { tscompose: string } };
  const bin = path.join(repo, pkg.bin.tscompose);
  assert.match(bin, /\.cjs$/);
  assert.ok(statSync(bin).mode & 0o111, 'the bin is executable');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-bin-'));
  try {
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: busybox\n');
    // lists the built-ins loaded after Node's own start-up
    const preload = path.join(dir, 'loaded.cjs');
    const list = path.join(dir, 'loaded.txt');
    writeFileSync(
      preload,
      `const before = new Set(process.moduleLoadList);
process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.filter((m) => !before.has(m)).join('\\n')));`,
    );
    // run as a user runs it: the file itself, through its #! line; output to files, as a pipe is a socket
    const out = path.join(dir, 'out.yaml');
    const fd = openSync(out, 'w');
    const errFd = openSync(path.join(dir, 'err.txt'), 'w');
    const r = spawnSync(bin, ['-p', 'bin', 'config'], {
      cwd: dir,
      stdio: ['ignore', fd, errFd],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NODE_OPTIONS: `--require ${preload}` },
    });
    closeSync(fd);
    closeSync(errFd);
    assert.equal(r.status, 0, readFileSync(path.join(dir, 'err.txt'), 'utf8'));
    assert.match(readFileSync(out, 'utf8'), /^name: bin\nservices:\n {2}web:\n/);
    const loaded = readFileSync(list, 'utf8').split('\n');
    assert.ok(loaded.includes('NativeModule vm'), 'the list is read (the launcher uses node:vm)');
    for (const m of ['net', 'child_process', 'tty', 'internal/modules/esm/module_job'])
      assert.ok(!loaded.includes(`NativeModule ${m}`), `${m} is not loaded`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a big stack runs from the code cache too: its entry is written once, not refused and rewritten every run', { skip }, () => {
  const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { bin: { tscompose: string } };
  const home = mkdtempSync(path.join(os.homedir(), '.tsc-bin-cache-test-')); // under HOME: a cache in /tmp is not trusted
  try {
    // over young-generation.ts's 32 KB, so the command changes a V8 flag while it runs
    const services = Array.from({ length: 700 }, (_, i) => `  svc${i}:\n    image: busybox\n    environment:\n      - INDEX=${i}\n`).join(
      '',
    );
    writeFileSync(path.join(home, 'compose.yaml'), `services:\n${services}`);
    assert.ok(statSync(path.join(home, 'compose.yaml')).size > 32 * 1024);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
    const entries = () => {
      const dir = path.join(home, '.cache/tscompose/code');
      return existsSync(dir) ? readdirSync(dir).map((f) => `${f} ${statSync(path.join(dir, f)).mtimeMs}`) : [];
    };
    let written: string[] = [];
    for (let run = 0; run < 3; run++) {
      const r = spawnSync(process.execPath, [path.join(repo, pkg.bin.tscompose), '-p', 'big', 'config', '--services'], {
        cwd: home,
        env,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.split('\n').length, 701);
      if (run === 0) continue;
      const now = entries();
      assert.equal(now.length, 1, `one entry: ${now.join(', ')}`);
      if (run === 2) assert.deepEqual(now, written, 'the entry of the first run is used as it is');
      written = now;
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
