#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts) into dist/cli/main.js plus lazily loaded chunks beside it, after tsc
// has built dist/. Loading one file per command instead of ~400 small modules (ours, yaml's, ajv's,
// dockerode's) is most of what makes a command start fast.
//
// What stays outside the bundle, loaded from dist/ or node_modules at run time:
// - the engine daemon (`tscompose engine`): it finds its helper scripts and profiles next to its own
//   modules, so it runs from dist/engine/ as tsc built it;
// - native or optional packages (ssh2, cpu-features) and the dockerode parts no command uses on the way
//   to the engine's socket: docker-modem's ssh transport (ssh2), dockerode's BuildKit session (gRPC,
//   protobuf) and BuildKit progress decoder. The first two are required when dockerode loads, so they are
//   replaced by stubs that load the real module the first time one is called: that spares every engine
//   command ~60% of dockerode's load time.
import { build } from 'esbuild';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(repo, 'dist/cli');
const CHUNK_PREFIX = 'bundle-';

/** Imports made from inside a package that are replaced by a stub loading the real file on first call. */
const LAZY = [
  { from: 'docker-modem', request: './ssh', real: 'docker-modem/lib/ssh.js' },
  { from: 'dockerode', request: './session', real: 'dockerode/lib/session.js' },
];

const packageOf = (file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.split(path.sep).join('/'))?.[1];

/** @type {import('esbuild').Plugin} */
const lazyParts = {
  name: 'lazy-parts',
  setup(b) {
    b.onResolve({ filter: /^\.\/(ssh|session)$/ }, (args) => {
      const lazy = LAZY.find((l) => l.request === args.path && packageOf(args.importer) === l.from);
      return lazy ? { path: lazy.real, namespace: 'lazy' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      loader: 'js',
      // a function module whose first call loads the real one (both export a single function)
      contents: `let real;\nmodule.exports = function () {\n  real ??= require(${JSON.stringify(args.path)});\n  return real.apply(this, arguments);\n};\n`,
      resolveDir: repo,
    }));
  },
};

/** dockerode requires its BuildKit progress decoder (protobufjs) inside the one function that uses it:
 *  left outside the bundle, it is read from node_modules on that call instead of parsed with every command. */
const buildkitOutside = {
  name: 'buildkit-outside',
  setup(b) {
    b.onResolve({ filter: /^\.\/buildkit$/ }, (args) =>
      packageOf(args.importer) === 'dockerode' ? { path: 'dockerode/lib/buildkit.js', external: true } : undefined,
    );
  },
};

/** The daemon stays in dist/engine/: its import is rewritten to point there from dist/cli/. */
const engineOutside = {
  name: 'engine-outside',
  setup(b) {
    b.onResolve({ filter: /\/engine\/daemon\.js$/ }, () => ({ path: '../engine/daemon.js', external: true }));
  },
};

// what the YAML cache's entries depend on besides a file's text (src/model/read-yaml.ts), from tsc's build of
// that module, which runs before this script
const { readerFingerprintOf } = await import(pathToFileURL(path.join(repo, 'dist/model/read-yaml.js')).href);

// chunks of an earlier build would pile up: their names carry a content hash
for (const f of readdirSync(outdir)) if (f.startsWith(CHUNK_PREFIX)) rmSync(path.join(outdir, f));

const result = await build({
  absWorkingDir: repo, // paths in the metafile are relative to the repository
  entryPoints: { main: path.join(repo, 'src/cli/main.ts') },
  outdir,
  bundle: true,
  splitting: true, // each command's module (and what only it needs) is its own chunk, loaded when invoked
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
  sourcemap: 'linked',
  // bundled CommonJS packages call require() for Node's built-ins and for what stays external
  banner: {
    js: "import { createRequire as __tscCreateRequire } from 'node:module';\nconst require = __tscCreateRequire(import.meta.url);",
  },
  external: ['ssh2', 'cpu-features', 'docker-modem/lib/ssh.js', 'dockerode/lib/session.js'],
  define: { __TSCOMPOSE_YAML_READER__: JSON.stringify(readerFingerprintOf(pathToFileURL(path.join(repo, 'src/model/')))) },
  plugins: [lazyParts, buildkitOutside, engineOutside],
  metafile: true, // what each chunk holds and imports: test/unit/cli/bundle.test.ts checks what a command loads
  logLevel: 'warning',
});
writeFileSync(path.join(outdir, `${CHUNK_PREFIX}meta.json`), JSON.stringify(result.metafile));
