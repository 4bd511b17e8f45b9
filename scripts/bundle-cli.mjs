#!/usr/bin/env node
// Bundles the CLI, after tsc has built dist/: src/cli/run.ts and everything it imports of ours into one
// CommonJS file, dist/cli/cli.cjs, which the launcher runs through V8's code cache (src/cli/launch.ts, bundled
// into dist/cli/tscompose.cjs: the package's bin, which dist/cli/main.js, tsc's build of src/cli/main.ts,
// requires). One file instead of ~400 small modules (ours, commander's, yaml's, dockerode's), CommonJS instead
// of ES modules (Node's ESM loader costs ~30 ms more on a short command), and bytecode from the code cache
// instead of a compile: that is most of what makes a command start fast.
//
// Packages are bundled each into a file of its own, dist/cli/vendor/<package>.cjs, required by cli.cjs when
// a command first uses it, except the few every command needs (INLINE): `config` of a cached file never
// reads yaml's, and `ps` never reads dockerode's. What stays outside any bundle, loaded from dist/ or
// node_modules at run time:
// - the engine daemon (`tscompose engine`): it finds its helper scripts and profiles next to its own
//   modules, so it runs from dist/engine/ as tsc built it;
// - native or optional packages (ssh2, cpu-features) and the dockerode parts no command uses on the way
//   to the engine's socket: docker-modem's ssh transport (ssh2), dockerode's BuildKit session (gRPC,
//   protobuf) and BuildKit progress decoder. The first two are required when dockerode loads, so they are
//   replaced by stubs that load the real module the first time one is called: that spares every engine
//   command ~60% of dockerode's load time.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(repo, 'dist/cli');
const vendorDir = path.join(outdir, 'vendor');

/** Packages bundled into cli.cjs: every command loads them. */
const INLINE = new Set(['commander', 'chalk', 'dotenv']);

/** Imports made from inside a package that are replaced by a stub loading the real file on first call. */
const LAZY = [
  { from: 'docker-modem', request: './ssh', real: 'docker-modem/lib/ssh.js' },
  { from: 'dockerode', request: './session', real: 'dockerode/lib/session.js' },
];

const packageOf = (file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.split(path.sep).join('/'))?.[1];
const packageName = (request) => (request.startsWith('@') ? request.split('/').slice(0, 2) : request.split('/').slice(0, 1)).join('/');
const vendorFile = (pkg) => `${pkg.replace('/', '+')}.cjs`;

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

/** Our imports of a package not in INLINE require its vendor bundle; `vendored` collects those packages. */
const vendored = new Set();
const vendorOutside = {
  name: 'vendor-outside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || packageOf(args.importer)) return undefined; // built-ins; a package's own imports
      const pkg = packageName(args.path);
      if (INLINE.has(pkg)) return undefined;
      if (args.path !== pkg) throw new Error(`${args.importer}: import the package "${pkg}" itself, not "${args.path}"`);
      vendored.add(pkg);
      return { path: `./vendor/${vendorFile(pkg)}`, external: true };
    });
  },
};

/** Two packages the CLI inlines require built-ins at start-up that a short command never uses; each loads
 *  node:net (~5 ms here) before anything else needs it, and `config` needs nothing of it:
 *  - commander requires child_process, for executable subcommands, which we do not have: it gets a stand-in
 *    that requires child_process on first use;
 *  - chalk's supports-color asks node:tty whether fd 1 and 2 are terminals, which process.stdout and
 *    process.stderr (made anyway to write the output) know: the stand-in asks them, and node:tty for any
 *    other fd. */
const LAZY_BUILTINS = {
  child_process: {
    importer: /node_modules\/commander\//,
    contents: "let m; module.exports = new Proxy({}, { get: (_, k) => (m ??= require('node:child_process'))[k] });",
  },
  tty: {
    importer: /node_modules\/chalk\/source\/vendor\/supports-color\//,
    contents: [
      'const streams = { 1: () => process.stdout, 2: () => process.stderr };',
      "module.exports = { isatty: (fd) => (streams[fd] ? Boolean(streams[fd]().isTTY) : require('node:tty').isatty(fd)) };",
    ].join('\n'),
  },
};
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(child_process|tty)$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      return LAZY_BUILTINS[name].importer.test(args.importer) ? { path: name, namespace: 'lazy-builtin' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ contents: LAZY_BUILTINS[args.path].contents, loader: 'js' }));
  },
};

// a module's own URL is its bundle's: the modules that find files from it (../../schemas/…) are two levels
// below the repository in dist/, as dist/cli/ is
const SELF_URL = "const __tscImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";
const selfUrlDefine = { 'import.meta.url': '__tscImportMetaUrl' };

// esbuild gives a default import of a built-in (`import path from 'node:path'`) an object of its own, with a
// getter for each of the module's properties (__toESM): ~100 closures for node:fs, made again in every module
// that imports it, ~3 ms and a good part of a scavenge per command. The module itself, behind an object whose
// `default` it is, answers the same named and default imports.
const BUILTIN_INTEROP = 'const __tscBuiltin = (m) => Object.create(m, { default: { value: m } });';
/** `text` with each esbuild interop object of a built-in replaced by __tscBuiltin's. */
function builtinInterop(text, file) {
  const out = text.replace(/__toESM\(require\("(node:[a-z_/]+)"\),1\)/g, '__tscBuiltin(require("$1"))');
  const left = out.match(/__toESM\(require\("node:[^)]*\)/);
  if (left) throw new Error(`${file}: an interop of a built-in that bundle-cli.mjs does not rewrite: ${left[0]}`);
  return out;
}

const common = {
  absWorkingDir: repo, // paths in the metafile are relative to the repository
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // smaller text to read and hash; names are kept, for stack traces and profiles
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
};

// what the YAML cache's entries depend on besides a file's text (src/model/read-yaml.ts), from tsc's build of
// that module, which runs before this script
const { readerFingerprintOf } = await import(pathToFileURL(path.join(repo, 'dist/model/read-yaml.js')).href);
// and what the remembered valid documents depend on (src/model/validation-cache.ts)
const { validatorFingerprintOf } = await import(pathToFileURL(path.join(repo, 'dist/model/validation-cache.js')).href);
const validatorFiles = ['schemas/compose.schema.json', 'schemas/compose.validate.cjs'].map((f) => pathToFileURL(path.join(repo, f)));

// files of an earlier build (earlier versions made ES-module chunks named bundle-*)
for (const f of readdirSync(outdir))
  if (f.startsWith('bundle-') || f.startsWith('cli.cjs') || f.startsWith('launch.cjs') || f.startsWith('tscompose.cjs'))
    rmSync(path.join(outdir, f));
rmSync(vendorDir, { recursive: true, force: true });

/** What the canonical forms of stack files depend on in code (src/model/canonical-cache.ts): every module of
 *  src/model/ and the yaml package's version. */
function modelFingerprint() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const name of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else hash.update(`${path.relative(repo, p)}\0`).update(readFileSync(p));
    }
  };
  walk(path.join(repo, 'src/model'));
  hash.update(readFileSync(path.join(repo, 'node_modules/yaml/package.json')));
  return hash.digest('hex');
}

/** the hash of cli.cjs as written: the launcher keys its code cache with it (src/cli/code-cache.ts) */
let bundleHash;
const core = await build({
  ...common,
  entryPoints: [path.join(repo, 'src/cli/run.ts')],
  outfile: path.join(outdir, 'cli.cjs'),
  define: {
    ...selfUrlDefine,
    __TSCOMPOSE_YAML_READER__: JSON.stringify(readerFingerprintOf(pathToFileURL(path.join(repo, 'src/model/')))),
    __TSCOMPOSE_VALIDATOR__: JSON.stringify(validatorFingerprintOf(validatorFiles)),
    __TSCOMPOSE_MODEL__: JSON.stringify(modelFingerprint()),
    __TSCOMPOSE_VERSION__: JSON.stringify(JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version),
  },
  banner: {
    js: [
      '"use strict";',
      SELF_URL,
      BUILTIN_INTEROP,
      // every import() of what the bundle leaves outside is rewritten to this (below): vendor bundles and
      // built-ins are required; an ES module (the daemon) is imported through __tscImportEsm, which the
      // launcher gives when it runs the bundle as a vm.Script (src/cli/code-cache.ts), where import() itself
      // fails once the script comes from the code cache
      'const __tscImport = (s) => Promise.resolve().then(() => {',
      '  if (!/^\\..*\\.js$/.test(s)) { const m = require(s); return { ...m, default: m }; }',
      "  const url = require('node:url').pathToFileURL(require('node:path').resolve(__dirname, s)).href;",
      "  return typeof __tscImportEsm === 'function' ? __tscImportEsm(url) : import(url);",
      '});',
    ].join('\n'),
  },
  plugins: [engineOutside, vendorOutside, lazyBuiltins],
  metafile: true, // what the bundle holds and requires: test/unit/cli/bundle.test.ts checks what a command loads
});
writeFileSync(path.join(outdir, 'cli-meta.json'), JSON.stringify(core.metafile));
{
  const file = path.join(outdir, 'cli.cjs');
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/\bimport\("([^"]*)"\)/g)].map((m) => m[1]);
  const odd = specifiers.filter((s) => !s.startsWith('./') && !s.startsWith('../') && !s.startsWith('node:'));
  if (odd.length) throw new Error(`cli.cjs imports what it cannot rewrite: ${odd.join(', ')}`);
  // read as UTF-8 by the launcher, whose fast path wants ASCII (esbuild escapes the rest, by default)
  if (/[^\x00-\x7f]/.test(text)) throw new Error('dist/cli/cli.cjs is not ASCII');
  const final = builtinInterop(text, file).replace(/\bimport\("([^"]*)"\)/g, '__tscImport("$1")');
  writeFileSync(file, final);
  bundleHash = createHash('sha256').update(final).digest('hex');
}

// the launcher: the code cache and what it needs, and nothing of the CLI itself. It is the package's bin, and
// main.js requires it: as a CommonJS entry, Node's ES-module loader is not even loaded (~9 ms here)
await build({
  ...common,
  entryPoints: [path.join(repo, 'src/cli/launch.ts')],
  outfile: path.join(outdir, 'tscompose.cjs'),
  define: { ...selfUrlDefine, __TSCOMPOSE_BUNDLE_HASH__: JSON.stringify(bundleHash) },
  banner: { js: ['#!/usr/bin/env node', '"use strict";', SELF_URL, BUILTIN_INTEROP].join('\n') },
});
{
  const file = path.join(outdir, 'tscompose.cjs');
  writeFileSync(file, builtinInterop(readFileSync(file, 'utf8'), file));
  chmodSync(file, 0o755); // esbuild wrote it first, so a mode given to writeFileSync would not apply
}

const vendor = await build({
  ...common,
  entryPoints: [...vendored].map((pkg) => ({ in: `vendor:${pkg}`, out: vendorFile(pkg).replace(/\.cjs$/, '') })),
  outdir: vendorDir,
  outExtension: { '.js': '.cjs' },
  external: ['ssh2', 'cpu-features', 'docker-modem/lib/ssh.js', 'dockerode/lib/session.js'],
  plugins: [
    {
      name: 'vendor-entry',
      setup(b) {
        b.onResolve({ filter: /^vendor:/ }, (args) => ({ path: args.path.slice('vendor:'.length), namespace: 'vendor' }));
        b.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
          loader: 'js',
          contents: `module.exports = require(${JSON.stringify(args.path)});\n`,
          resolveDir: repo,
        }));
      },
    },
    lazyParts,
    buildkitOutside,
  ],
  metafile: true, // which packages each vendor bundle holds: checked by test/unit/cli/bundle.test.ts as well
});
writeFileSync(path.join(vendorDir, 'meta.json'), JSON.stringify(vendor.metafile));
