// The classic builder: runs a Dockerfile's stages step by step, one layer per RUN / COPY / ADD,
// with a layer cache, streaming Docker's "Step N/M" progress.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import type { ImageRuntimeConfig, OneShotRunner } from '../../contracts.js';
import { digestHex } from '../blobs.js';
import { hostPlatform, type Descriptor, type HistoryEntry, type ImageConfig, type Platform } from '../oci.js';
import { familiarName, parseReference } from '../reference.js';
import { type Credentials, fromDockerConfig } from '../../../registry/credentials.js';
import { pullImage } from '../pull/puller.js';
import type { ImageStore, StoredImage } from '../store.js';
import { BuildCache, chainKey } from './cache.js';
import { DockerignoreMatcher, contextFilter } from '../../../dockerignore.js';
import { copyIntoLayer, hashTree } from './copy.js';
import { checkCopyFlags, excludeFilter, verifyChecksum } from './copy-flags.js';
import { DockerfileError, DockerfileParseError, expand, type Instruction, parseDockerfile, parsePairs, splitWords } from './dockerfile.js';
import { heredocRun, pipeFileMount, splitHeredocSources, writeInlineFiles } from './heredoc.js';
import { platformArgs } from './platform-args.js';
import { type MountContext, type PreparedMounts, parseRunOptions, prepareMounts, removeMountpoints } from './run-mounts.js';
import { packLayer } from './layer-pack.js';
import { mountReadOnly, resolveOwner } from './layer-view.js';
import { applyMetadata, commandOf, envToMap, METADATA_KEYWORDS } from './metadata.js';
import { withDefaultPath as defaultPathEnv, hasPath } from '../../runtime/default-path.js';

export interface BuildOptions {
  contextDir: string;
  dockerfileText: string;
  ignored: (rel: string) => boolean;
  tags: string[]; // canonical names
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  /** cachefrom: the images whose steps may be reused (Docker's classic builder: a cached step counts only if it is
   *  an ancestor of one of them); undefined reuses any earlier step */
  cacheFrom?: string[];
  /** RUN steps' network: "default" (a namespace of their own on the default bridge), "none", "host" or a network name */
  network: string;
  /** "name:ip" entries for RUN steps' /etc/hosts */
  extraHosts?: string[];
  /** credentials for pulling a missing base image (X-Registry-Config), else config.json is used */
  registryCredentials?: (domain: string) => Credentials | undefined;
  /** build secrets by id for RUN --mount=type=secret (never part of the context, a layer or a cache key) */
  secrets?: ReadonlyMap<string, Buffer>;
  /** SSH agent sockets by id for RUN --mount=type=ssh */
  ssh?: ReadonlyMap<string, string>;
  /** named contexts (compose build.additional_contexts) for FROM, COPY --from and RUN --mount from= */
  namedContexts?: ReadonlyMap<string, string>;
}

export interface BuildDeps {
  store: ImageStore;
  runner: OneShotRunner;
  cacheDir: string;
  tmpDir: string;
  emit(msg: Record<string, unknown>): void;
}

interface Stage {
  name?: string;
  layers: Descriptor[];
  diffIDs: string[];
  history: HistoryEntry[];
  config: ImageRuntimeConfig;
  platform: Platform;
  chain: string;
  args: Record<string, string>;
  cmdSetHere: boolean;
}

/** Docker adds its default PATH to a stage's config at FROM when the base image sets none (FROM scratch, an imported
 *  rootfs), so `ENV PATH=/x:$PATH` expands as expected and the built image's config has a PATH. */
const withDefaultPath = (stage: Stage): Stage =>
  hasPath(stage.config.Env) ? stage : { ...stage, config: { ...stage.config, Env: defaultPathEnv(stage.config.Env) } };

/** Docker's predefined build args: usable without an ARG instruction, never reported as unused. */
const PROXY_ARGS = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);

const short = (hex: string) => hex.replace(/^sha256:/, '').slice(0, 12);

export class Builder {
  private cache: BuildCache;
  private stages: Stage[] = [];
  private step = 0;
  private totalSteps = 0;
  private usedArgs = new Set<string>();
  /** blobs and diffIDs this build uses: an image removal meanwhile must not delete them */
  private held = new Set<string>();
  /** the layer lists of the cachefrom images that exist; undefined without cachefrom */
  private cacheSources?: string[][];

  constructor(
    private readonly deps: BuildDeps,
    private readonly opts: BuildOptions,
  ) {
    this.cache = new BuildCache(deps.cacheDir, deps.store);
    if (opts.cacheFrom) {
      this.cacheSources = opts.cacheFrom
        .map((ref) => deps.store.find(ref))
        .filter((i) => i !== undefined)
        .map((i) => i.config.rootfs.diff_ids);
    }
  }

  /** Whether a cached step that leaves the stage with `diffIDs` may be used: with cachefrom, only as the start of
   *  one of those images (an unknown or empty cachefrom reuses nothing, as Docker). */
  private reusable(diffIDs: string[]): boolean {
    if (this.opts.noCache) return false;
    if (!this.cacheSources) return true;
    return this.cacheSources.some((src) => diffIDs.length <= src.length && diffIDs.every((d, i) => src[i] === d));
  }

  /** A cached layer for `key`, if the cache has one this build may reuse on top of `stage`. */
  private async cachedLayer(stage: Stage, key: string): Promise<Awaited<ReturnType<BuildCache['getLayer']>>> {
    if (this.opts.noCache) return undefined;
    const layer = await this.cache.getLayer(key);
    return layer && this.reusable([...stage.diffIDs, layer.diffID]) ? layer : undefined;
  }

  /** ARG and metadata steps: Docker's classic builder commits each one and reports an identical earlier one as
   *  cached; here a marker per chain key says the step was built before. */
  private async metadataStepCached(stage: Stage): Promise<void> {
    if (this.reusable(stage.diffIDs) && (await this.cache.hasStep(stage.chain))) this.emit(' ---> Using cache\n');
    else await this.cache.markStep(stage.chain);
  }

  async build(): Promise<StoredImage> {
    const release = this.deps.store.pin(this.held);
    try {
      return await this.buildPinned();
    } finally {
      release();
    }
  }

  private hold(layers: { digest: string }[], diffIDs: string[]): void {
    for (const l of layers) this.held.add(l.digest);
    for (const d of diffIDs) this.held.add(d);
  }

  private async buildPinned(): Promise<StoredImage> {
    const instrs = parseDockerfile(this.opts.dockerfileText);
    checkKeywords(instrs);
    const globalArgs: Record<string, string> = platformArgs();
    let i = 0;
    for (; i < instrs.length && instrs[i]!.keyword !== 'FROM'; i++) {
      const instr = instrs[i]!;
      if (instr.keyword !== 'ARG') throw new DockerfileError(`no build stage in current context: ${instr.original} comes before FROM`);
      for (const [k, v] of parsePairs(instr.args, false)) {
        if (k in this.opts.buildArgs) this.usedArgs.add(k);
        globalArgs[k] = this.opts.buildArgs[k] ?? expand(v, globalArgs);
      }
    }
    if (i >= instrs.length) throw new DockerfileError('the Dockerfile has no FROM instruction');
    const groups: Instruction[][] = [];
    for (; i < instrs.length; i++) {
      if (instrs[i]!.keyword === 'FROM') groups.push([]);
      groups[groups.length - 1]!.push(instrs[i]!);
    }
    let last = groups.length - 1;
    if (this.opts.target) {
      last = groups.findIndex((g) => stageName(g[0]!, globalArgs)?.toLowerCase() === this.opts.target!.toLowerCase());
      if (last < 0) throw new DockerfileError(`failed to reach build target ${this.opts.target} in Dockerfile`);
    }
    this.totalSteps = groups.slice(0, last + 1).reduce((n, g) => n + g.length, 0);
    for (const group of groups.slice(0, last + 1)) {
      const stage = await this.from(group[0]!, globalArgs);
      this.stages.push(stage);
      await this.runTriggers(stage, globalArgs);
      for (const instr of group.slice(1)) await this.runStep(stage, instr, globalArgs);
    }
    const unused = Object.keys(this.opts.buildArgs).filter((k) => !this.usedArgs.has(k) && !PROXY_ARGS.has(k));
    if (unused.length) this.emit(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    return this.commit(this.stages[this.stages.length - 1]!);
  }

  private emit(stream: string): void {
    this.deps.emit({ stream });
  }

  private announce(instr: Instruction): void {
    this.emit(`Step ${++this.step}/${this.totalSteps} : ${instr.original}\n`);
  }

  private async from(instr: Instruction, globalArgs: Record<string, string>): Promise<Stage> {
    this.announce(instr);
    const words = splitWords(expand(instr.args, globalArgs));
    const platform = instr.flags.platform && expand(instr.flags.platform, globalArgs);
    const host = platformArgs().TARGETPLATFORM;
    if (platform && platform.replace(/\/v8$/, '') !== host)
      this.emit(`[Warning] FROM --platform=${platform}: the bundled engine builds for its own platform (${host}) only\n`);
    const named = words[0] ? namedContextOf(this.opts.namedContexts, words[0]) : undefined;
    if (named?.dir)
      throw new DockerfileError(
        `FROM ${words[0]}: a directory named context cannot be a base image in the bundled engine (use COPY --from=${words[0]})`,
      );
    const base = named?.image ?? words[0];
    if (!base) throw new DockerfileError('FROM requires the name of a base image (or scratch)');
    const name = stageName(instr, globalArgs);
    const empty: Stage = {
      name,
      layers: [],
      diffIDs: [],
      history: [],
      config: {},
      platform: hostPlatform(),
      chain: 'scratch',
      args: {},
      cmdSetHere: false,
    };
    if (base === 'scratch') {
      this.emit(' ---> \n');
      return withDefaultPath(empty);
    }
    const prior = named ? undefined : this.stages.find((s) => s.name && s.name.toLowerCase() === base.toLowerCase());
    if (prior) {
      this.emit(` ---> ${short(prior.chain)}\n`);
      return { ...structuredClone(prior), name, args: {}, cmdSetHere: false };
    }
    const found = this.deps.store.find(base);
    if (found) this.hold(found.manifest.layers, found.config.rootfs.diff_ids);
    // a stored base whose layers are gone for good counts as missing, as its containers could not start
    const image = found && (await this.deps.store.ensureLayers(found)) ? found : await this.pullBase(base);
    this.hold(image.manifest.layers, image.config.rootfs.diff_ids);
    this.emit(` ---> ${short(image.id)}\n`);
    return withDefaultPath({
      name,
      layers: structuredClone(image.manifest.layers),
      diffIDs: [...image.config.rootfs.diff_ids],
      history: structuredClone(image.config.history ?? []),
      config: structuredClone(image.config.config ?? {}),
      platform: {
        architecture: image.config.architecture,
        os: image.config.os,
        ...(image.config.variant ? { variant: image.config.variant } : {}),
      },
      chain: image.id,
      args: {},
      cmdSetHere: false,
    });
  }

  /** Like Docker, a base image missing from the store is pulled (credentials from config.json). */
  private async pullBase(base: string): Promise<StoredImage> {
    const ref = parseReference(base);
    try {
      const creds = this.opts.registryCredentials?.(ref.domain) ?? fromDockerConfig(ref.domain);
      const { image } = await pullImage(this.deps.store, ref, creds, (msg) => {
        if (typeof msg.status === 'string' && !msg.progressDetail) this.emit(`${msg.id ? `${msg.id}: ` : ''}${msg.status}\n`);
      });
      return image;
    } catch (err) {
      throw new DockerfileError(
        `pull access denied for ${base}: the image is not in the bundled engine's store and pulling it failed: ${(err as Error).message}`,
      );
    }
  }

  /** Variables visible to expansion: the stage's ARGs, overridden by its ENV. */
  private vars(stage: Stage): Record<string, string> {
    return { ...stage.args, ...envToMap(stage.config.Env) };
  }

  /** The base image's ONBUILD triggers, run right after FROM as the classic builder does (no step of their own);
   *  they are the base's: the stage's image does not keep them. */
  private async runTriggers(stage: Stage, globalArgs: Record<string, string>): Promise<void> {
    const triggers = stage.config.OnBuild ?? [];
    delete stage.config.OnBuild;
    if (!triggers.length) return;
    this.emit(`# Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'}\n`);
    for (const trigger of triggers) {
      for (const instr of parseDockerfile(String(trigger))) {
        // an image config is not a Dockerfile: what ONBUILD refuses to record is refused here too
        if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(instr.keyword))
          throw new DockerfileError(`${instr.keyword} isn't allowed as an ONBUILD trigger`);
        await this.runStep(stage, instr, globalArgs, false);
      }
    }
  }

  private async runStep(stage: Stage, instr: Instruction, globalArgs: Record<string, string>, announce = true): Promise<void> {
    if (announce) this.announce(instr);
    const kw = instr.keyword;
    if (kw === 'ARG') {
      for (const [k, v] of parsePairs(instr.args, false)) {
        const given = this.opts.buildArgs[k];
        if (given !== undefined) this.usedArgs.add(k);
        stage.args[k] = given ?? (v !== '' || instr.args.includes('=') ? expand(v, this.vars(stage)) : (globalArgs[k] ?? ''));
      }
      stage.history.push({ created: new Date().toISOString(), created_by: `/bin/sh -c #(nop) ${instr.original}`, empty_layer: true });
      stage.chain = chainKey(stage.chain, 'ARG', JSON.stringify(stage.args));
      await this.metadataStepCached(stage);
    } else if (METADATA_KEYWORDS.has(kw)) {
      const hadCmd = stage.config.Cmd;
      applyMetadata(stage.config, instr, this.vars(stage));
      if (kw === 'CMD') stage.cmdSetHere = true;
      if (kw === 'ENTRYPOINT' && !stage.cmdSetHere && hadCmd) stage.config.Cmd = null;
      stage.history.push({
        created: new Date().toISOString(),
        created_by: `/bin/sh -c #(nop) ${instr.original.replace(/^\S+/, kw)}`,
        empty_layer: true,
      });
      stage.chain = chainKey(stage.chain, kw, JSON.stringify(stage.config));
      await this.metadataStepCached(stage);
    } else if (kw === 'RUN') {
      await this.run(stage, instr);
    } else if (kw === 'COPY' || kw === 'ADD') {
      await this.copy(stage, instr);
    }
    this.emit(` ---> ${short(stage.chain)}\n`);
  }

  private addLayer(stage: Stage, layer: { descriptor: Descriptor; diffID: string; created: string }, createdBy: string): void {
    this.hold([layer.descriptor], [layer.diffID]);
    stage.layers.push(layer.descriptor);
    stage.diffIDs.push(layer.diffID);
    stage.history.push({ created: layer.created, created_by: createdBy });
  }

  private async run(stage: Stage, instr: Instruction): Promise<void> {
    const heredoc = heredocRun(instr);
    const args = commandOf(heredoc ? { ...instr, args: heredoc.script } : instr, stage.config);
    const envMap = envToMap(stage.config.Env);
    const env = [
      ...(stage.config.Env ?? []),
      ...Object.entries(stage.args)
        .filter(([k]) => !(k in envMap))
        .map(([k, v]) => `${k}=${v}`),
    ];
    const runOpts = parseRunOptions(instr, this.vars(stage));
    const prepared = await prepareMounts(runOpts.mounts, this.mountContext(stage));
    try {
      const pipe = heredoc?.pipeFile && (await pipeFileMount(heredoc.pipeFile, this.deps.tmpDir));
      if (pipe) {
        prepared.mounts.push(pipe.mount);
        const release = prepared.release;
        prepared.release = async () => {
          await release();
          await pipe.cleanup();
        };
      }
      const extra = {
        ...(prepared.key ? { mounts: prepared.key } : {}),
        ...(heredoc?.pipeFile ? { pipe: heredoc.pipeFile } : {}),
        ...(runOpts.network ? { network: runOpts.network } : {}),
      };
      const key = chainKey(
        stage.chain,
        'RUN',
        JSON.stringify({ args, env, user: stage.config.User, dir: stage.config.WorkingDir, ...extra }),
      );
      // Docker's predefined proxy args reach RUN without an ARG, and stay out of the cache key and the history
      const proxies = Object.entries(this.opts.buildArgs)
        .filter(([k]) => PROXY_ARGS.has(k) && !(k in stage.args) && !(k in envMap))
        .map(([k, v]) => `${k}=${v}`);
      await this.execRun(stage, instr, {
        args,
        env: [...env, ...proxies, ...prepared.env],
        key,
        mounts: prepared.mounts,
        destinations: prepared.destinations,
        network: runOpts.network,
      });
    } finally {
      await prepared.release();
    }
  }

  private mountContext(stage: Stage): MountContext {
    return {
      contextDir: this.opts.contextDir,
      ignored: this.opts.ignored,
      workingDir: stage.config.WorkingDir ?? '/',
      tmpDir: this.deps.tmpDir,
      cacheMountsDir: path.join(this.deps.cacheDir, 'mounts'),
      secrets: this.opts.secrets ?? new Map(),
      ssh: this.opts.ssh ?? new Map(),
      resolveFrom: async (from) => {
        const named = namedContextOf(this.opts.namedContexts, from);
        if (named?.dir) return { layerDirs: [named.dir], key: `dir:${await hashTree(named.dir)}` };
        if (named?.image) from = named.image;
        const source = named
          ? undefined
          : (this.stages.find((s) => s.name?.toLowerCase() === from.toLowerCase()) ??
            (/^\d+$/.test(from) ? this.stages[Number(from)] : undefined));
        if (source) return { layerDirs: source.diffIDs.map((d) => this.deps.store.layers.dir(d)), key: source.chain };
        const image = this.deps.store.find(from);
        if (!image) return undefined;
        this.hold(image.manifest.layers, image.config.rootfs.diff_ids);
        return { layerDirs: image.config.rootfs.diff_ids.map((d) => this.deps.store.layers.dir(d)), key: image.id };
      },
      warn: (text) => this.emit(text),
    };
  }

  private async execRun(
    stage: Stage,
    instr: Instruction,
    step: { args: string[]; env: string[]; key: string; mounts: PreparedMounts['mounts']; destinations: string[]; network?: string },
  ): Promise<void> {
    const { args, env, key } = step;
    const createdBy = instr.json
      ? `RUN ${JSON.stringify(instr.json)}`
      : `/bin/sh -c ${instr.heredocs?.length ? args[args.length - 1] : instr.args}`;
    let layer = await this.cachedLayer(stage, key);
    if (layer) {
      this.hold([layer.descriptor], [layer.diffID]);
      this.emit(' ---> Using cache\n');
    } else {
      const upper = this.deps.store.layers.stagingDir();
      const containerId = randomBytes(32).toString('hex');
      this.emit(` ---> Running in ${containerId.slice(0, 12)}\n`);
      try {
        const lowerDirs = stage.diffIDs.map((d) => this.deps.store.layers.dir(d));
        let tail = '';
        const { exitCode } = await this.deps.runner.runOneShot({
          lowerDirs,
          upperDir: upper,
          args,
          env,
          workingDir: stage.config.WorkingDir,
          user: stage.config.User || undefined,
          network: step.network === 'none' ? 'none' : this.opts.network,
          extraHosts: this.opts.extraHosts,
          id: containerId,
          ...(step.mounts.length ? { mounts: step.mounts } : {}),
          onOutput: (chunk, stream) => {
            const text = chunk.toString('utf8');
            tail = (tail + text).slice(-4096);
            // as Docker's classic builder, a step's stderr is shown in red
            this.emit(stream === 'stderr' ? `\x1b[91m${text}\x1b[0m` : text);
          },
        });
        if (exitCode !== 0) throw new DockerfileError(failureMessage(this.step, this.totalSteps, instr, args, exitCode, tail), exitCode);
        if (step.destinations.length) await removeMountpoints(upper, lowerDirs, step.destinations);
        layer = { ...(await packLayer(upper, this.deps.store.blobs)), created: new Date().toISOString() };
        this.hold([layer.descriptor], [layer.diffID]);
        await this.deps.store.layers.adopt(upper, layer.diffID);
        await this.cache.putLayer(key, layer);
      } finally {
        await fs.rm(upper, { recursive: true, force: true });
      }
      this.emit(`Removing intermediate container ${containerId.slice(0, 12)}\n`);
    }
    this.addLayer(stage, layer, createdBy);
    stage.chain = key;
  }

  private async copy(stage: Stage, instr: Instruction): Promise<void> {
    const words = instr.json ?? splitWords(expand(instr.args, this.vars(stage)));
    if (words.length < 2) throw new DockerfileError(`${instr.keyword} requires at least two arguments: ${instr.original}`);
    const { paths: sources, inline } = splitHeredocSources(instr, words.slice(0, -1));
    // several sources (inline files included) always go into a directory
    const dest =
      inline.length && sources.length + inline.length > 1 && !words[words.length - 1]!.endsWith('/')
        ? `${words[words.length - 1]}/`
        : words[words.length - 1]!;
    const urls = instr.keyword === 'ADD' ? sources.filter((s) => /^https?:\/\//.test(s)) : [];
    if (urls.length && urls.length !== sources.length)
      throw new DockerfileError('ADD cannot mix URLs and local sources in one instruction');
    checkCopyFlags(instr);
    if (instr.flags.checksum && (urls.length !== 1 || sources.length !== 1))
      throw new DockerfileError('ADD --checksum needs exactly one http(s) source');
    const exclude = excludeFilter(
      instr.flagList.filter(([k]) => k === 'exclude').map(([, v]) => expand(v, this.vars(stage))),
      sources,
    );
    const lowerDirs = stage.diffIDs.map((d) => this.deps.store.layers.dir(d));
    const staging = this.deps.store.layers.stagingDir();
    const cleanups: (() => Promise<void>)[] = [];
    try {
      let srcRoot = this.opts.contextDir;
      let ignored: ((rel: string) => boolean) | undefined = this.opts.ignored;
      let copySources = sources;
      if (urls.length) {
        const dir = path.join(this.deps.tmpDir, `add-url-${randomBytes(6).toString('hex')}`);
        cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
        copySources = await downloadAll(urls, dir);
        if (instr.flags.checksum) await verifyChecksum(path.join(dir, copySources[0]!), expand(instr.flags.checksum, this.vars(stage)));
        srcRoot = dir;
        ignored = undefined;
      }
      const from = instr.flags.from && expand(instr.flags.from, this.vars(stage));
      // a named context (build.additional_contexts) wins over a stage of the same name, as in BuildKit
      const named = from ? namedContextOf(this.opts.namedContexts, from) : undefined;
      if (named?.dir) {
        srcRoot = named.dir;
        ignored = await dockerignoreOf(named.dir);
      } else if (from) {
        const source = named?.image
          ? undefined
          : (this.stages.find((s) => s.name?.toLowerCase() === from.toLowerCase()) ??
            (/^\d+$/.test(from) ? this.stages[Number(from)] : undefined));
        const dirs = source ? source.diffIDs : this.deps.store.find(named?.image ?? from)?.config.rootfs.diff_ids;
        if (!dirs) throw new DockerfileError(`COPY --from=${from}: no such build stage or image`);
        const mnt = path.join(this.deps.tmpDir, `copy-from-${randomBytes(6).toString('hex')}`);
        const unmount = await mountReadOnly(
          dirs.map((d) => this.deps.store.layers.dir(d)),
          path.join(mnt, 'root'),
          path.join(mnt, 'empty'),
        );
        cleanups.push(async () => {
          await unmount();
          await fs.rm(mnt, { recursive: true, force: true });
        });
        srcRoot = path.join(mnt, 'root');
        ignored = undefined;
      }
      const owner = instr.flags.chown ? await resolveOwner(lowerDirs, expand(instr.flags.chown, this.vars(stage))) : undefined;
      const chmod = instr.flags.chmod ? parseChmod(instr.flags.chmod) : undefined;
      await fs.mkdir(staging, { recursive: true });
      if (exclude) {
        const base = ignored;
        ignored = (rel) => exclude(rel) || !!base?.(rel);
      }
      if (copySources.length)
        await copyIntoLayer({
          sources: copySources,
          dest,
          srcRoot,
          ignored,
          workingDir: stage.config.WorkingDir ?? '/',
          owner,
          chmod,
          lowerDirs,
          stagingDir: staging,
          extractArchives: instr.keyword === 'ADD' && !urls.length,
        });
      if (inline.length) {
        const dir = path.join(this.deps.tmpDir, `heredoc-${randomBytes(6).toString('hex')}`);
        cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
        const names = await writeInlineFiles(inline, dir, this.vars(stage));
        await copyIntoLayer({
          sources: names,
          dest,
          srcRoot: dir,
          workingDir: stage.config.WorkingDir ?? '/',
          owner,
          chmod,
          lowerDirs,
          stagingDir: staging,
          extractArchives: false,
        });
      }
      const contentHash = await hashTree(staging);
      const key = chainKey(stage.chain, instr.keyword, dest, JSON.stringify(instr.flags), contentHash);
      let layer = await this.cachedLayer(stage, key);
      if (layer) {
        this.hold([layer.descriptor], [layer.diffID]);
        this.emit(' ---> Using cache\n');
      } else {
        layer = { ...(await packLayer(staging, this.deps.store.blobs)), created: new Date().toISOString() };
        this.hold([layer.descriptor], [layer.diffID]);
        await this.deps.store.layers.adopt(staging, layer.diffID);
        await this.cache.putLayer(key, layer);
      }
      this.addLayer(stage, layer, `/bin/sh -c #(nop) ${instr.keyword} ${from ? `--from=${from} ` : ''}dir:${contentHash} in ${dest} `);
      stage.chain = key;
    } finally {
      for (const c of cleanups) await c().catch(() => {});
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  private async commit(stage: Stage): Promise<StoredImage> {
    const config: ImageRuntimeConfig = { ...stage.config };
    if (Object.keys(this.opts.labels).length) config.Labels = { ...(config.Labels ?? {}), ...this.opts.labels };
    const key = chainKey(stage.chain, 'IMAGE', JSON.stringify(config));
    let bytes = this.opts.noCache ? undefined : await this.cache.getConfig(key, stage.diffIDs);
    if (!bytes) {
      const image: ImageConfig = {
        created: new Date().toISOString(),
        architecture: stage.platform.architecture,
        os: stage.platform.os,
        ...(stage.platform.variant ? { variant: stage.platform.variant } : {}),
        config,
        rootfs: { type: 'layers', diff_ids: stage.diffIDs },
        history: stage.history,
      };
      bytes = Buffer.from(JSON.stringify(image));
      await this.cache.putConfig(key, bytes);
    }
    const stored = await this.deps.store.commit(bytes, stage.layers, this.opts.tags);
    this.deps.emit({ aux: { ID: stored.id } });
    this.emit(`Successfully built ${digestHex(stored.id).slice(0, 12)}\n`);
    for (const t of this.opts.tags) this.emit(`Successfully tagged ${familiarName(t)}\n`);
    return stored;
  }
}

/** A named context: `docker-image://ref` → the image, an absolute path → the directory. */
function namedContextOf(contexts: ReadonlyMap<string, string> | undefined, name: string): { dir?: string; image?: string } | undefined {
  const value = contexts?.get(name) ?? [...(contexts ?? [])].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  if (!value) return undefined;
  return value.startsWith('docker-image://') ? { image: value.slice('docker-image://'.length) } : { dir: value };
}

/** A directory context's own .dockerignore, as a filter. */
async function dockerignoreOf(dir: string): Promise<(rel: string) => boolean> {
  return contextFilter(DockerignoreMatcher.parse(await fs.readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => '')));
}

/** COPY/ADD --chmod: octal (BuildKit also takes symbolic modes such as u+x, which the bundled engine does not). */
function parseChmod(text: string): number {
  const mode = /^[0-7]{1,4}$/.test(text) ? parseInt(text, 8) : NaN;
  if (Number.isNaN(mode)) throw new DockerfileError(`invalid --chmod=${text}: expected an octal mode such as 0755`);
  return mode;
}

/** A failed RUN: the step, its Dockerfile line, the command and the last lines it printed. */
function failureMessage(step: number, total: number, instr: Instruction, args: string[], exitCode: number, tail: string): string {
  const lines = tail
    .replace(/\r/g, '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-10);
  const command = args.join(' ');
  return (
    `The command '${command.length > 400 ? `${command.slice(0, 400)}…` : command}' returned a non-zero code: ${exitCode}\n` +
    `  at step ${step}/${total} (Dockerfile line ${instr.line}): ${instr.original.split('\n')[0]}` +
    (lines.length ? `\n  last output:\n${lines.map((l) => `    ${l}`).join('\n')}` : '')
  );
}

function stageName(from: Instruction, globalArgs: Record<string, string>): string | undefined {
  const words = splitWords(expand(from.args, globalArgs));
  return words.length >= 3 && words[1]!.toUpperCase() === 'AS' ? words[2] : undefined;
}

/** ADD <url>: each file is fetched into `dir` under the URL's last path segment, mode 0600, as Docker does. */
async function downloadAll(urls: string[], dir: string): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (const [i, url] of urls.entries()) {
    const res = await fetch(url).catch((err: Error) => {
      throw new DockerfileError(`ADD ${url}: ${err.message}`);
    });
    if (!res.ok || !res.body) throw new DockerfileError(`ADD ${url}: the server answered ${res.status}`);
    const base = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '').replace(/[/\\\0]/g, '') || 'download';
    const name = names.includes(base) || base === '.' || base === '..' ? `${i}-download` : base;
    const file = path.join(dir, name);
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file, { mode: 0o600 }));
    const modified = Date.parse(res.headers.get('last-modified') ?? '');
    if (!Number.isNaN(modified)) await fs.utimes(file, new Date(modified), new Date(modified));
    names.push(name);
  }
  return names;
}

const STEP_KEYWORDS = new Set(['FROM', 'ARG', 'RUN', 'COPY', 'ADD', ...METADATA_KEYWORDS]);

/** Docker parses every instruction before it runs the first: an unknown one fails the build (400) before any
 *  step, in Docker's words. */
function checkKeywords(instrs: readonly Instruction[]): void {
  const unknown = instrs.find((instr) => !STEP_KEYWORDS.has(instr.keyword));
  if (unknown) throw new DockerfileParseError(`dockerfile parse error line ${unknown.line}: unknown instruction: ${unknown.keyword}`);
}
