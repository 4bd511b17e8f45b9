// Runs a CommonJS bundle (the CLI's, dist/cli/cli.cjs) with V8's code cache: the bytecode of the functions
// a command ran is kept in the cache directory (cache-directory.ts) after its first run, and later runs of
// that command deserialize it instead of parsing and compiling the bundle again, which is a third of a
// short command's start-up.
//
// Entries are kept per command (each command compiles different functions) and named by a hash of what
// identifies the bundle's text, of Node's version and of its flags: V8 itself checks only the text's length, so
// an entry must never be offered to another text. What identifies the text is its own hash, or, for the CLI's
// bundle, the hash its build computed (the launcher has it built in) together with the file's size,
// modification time and inode, which change when anything rewrites the file: hashing the 400 KB text cost
// every command ~3 ms. V8 refuses an entry made by another V8 or with other flags; a
// refused, corrupt or foreign entry means compiling as if there were no cache, and writing a new one.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { cacheDirectory, privateCacheDirectory, readEntry, writeEntry } from '../cache-directory.js';

/** entries kept (~350 KB each): a few commands of a few builds */
const MAX_ENTRIES = 32;

/** `module.exports` of the CommonJS file `file`, compiled with the code cache kept under `label`. `builtHash`: the
 *  hash of the file's text as it was built, when whoever built it says so. */
export function requireWithCodeCache(file: string, label: string, cacheDir = cacheDirectory(), builtHash?: string): unknown {
  const require = createRequire(file);
  const dir = privateCacheDirectory(cacheDir, 'code');
  if (!dir) return require(file);

  // read and described through one descriptor, so both are of the same file even while it is being replaced
  const fd = fs.openSync(file, 'r');
  let source: string;
  let identity: string;
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    source = fs.readFileSync(fd, 'utf8');
    identity = builtHash ? `built ${builtHash} ${st.size} ${st.mtimeNs} ${st.ino} ${st.dev}` : `text ${sha256(source)}`;
  } finally {
    fs.closeSync(fd);
  }
  const key = createHash('sha256')
    .update(identity)
    .update(`\0${process.version}\0${process.arch}\0${process.execArgv.join(' ')}`)
    .digest('hex')
    .slice(0, 32);
  const entry = path.join(dir, `${label.replace(/[^a-z0-9-]/gi, '_').slice(0, 40)}-${key}.bin`);
  const cachedData = readEntry(entry);
  // An import() in a vm.Script needs an option that is experimental in Node 20 and fails once the script
  // comes from the cache, so the bundle imports ES modules through this function (scripts/bundle-cli.mjs).
  const importEsm = (url: string) => import(url);
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __tscImportEsm) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  if (!cachedData || script.cachedDataRejected) {
    // after the command has run, so that the entry holds every function it compiled
    process.once('exit', () => writeEntry(dir, entry, () => script.createCachedData(), MAX_ENTRIES));
  }
  const module = { exports: {} as unknown };
  const body = script.runInThisContext() as (...args: unknown[]) => void;
  body.call(module.exports, module.exports, require, module, file, path.dirname(file), importEsm);
  return module.exports;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
