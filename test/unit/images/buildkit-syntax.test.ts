import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expand, parseDockerfile, parseHeredocMarker, rawWords } from '../../../src/engine/images/build/dockerfile.js';
import { heredocRun, splitHeredocSources } from '../../../src/engine/images/build/heredoc.js';
import { parseMountFlag, parseRunOptions } from '../../../src/engine/images/build/run-mounts.js';
import { platformArgs } from '../../../src/engine/images/build/platform-args.js';
import { checkCopyFlags, excludeFilter } from '../../../src/engine/images/build/copy-flags.js';

test('parser directives: syntax, escape and check are accepted once, at the top only', () => {
  const df = parseDockerfile(
    '\uFEFF# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended;error=true\n# escape=`\nFROM scratch\nRUN a `\n b\n',
  );
  assert.deepEqual(
    df.map((i) => i.keyword),
    ['FROM', 'RUN'],
  );
  assert.equal(df[1]!.args, 'a  b');
  assert.throws(() => parseDockerfile('# syntax=a\n# syntax=b\nFROM scratch\n'), /only one syntax parser directive/);
  assert.throws(() => parseDockerfile('# escape=x\nFROM scratch\n'), /invalid escape token/);
  // after the first instruction a directive-looking line is a comment
  assert.equal(parseDockerfile('FROM scratch\n# escape=`\nRUN a \\\n b\n')[1]!.args, 'a  b');
});

test('heredoc markers as BuildKit reads them', () => {
  assert.deepEqual(parseHeredocMarker('<<EOF'), { name: 'EOF', expand: true, chomp: false, fd: 0 });
  assert.deepEqual(parseHeredocMarker('<<-"EOF"'), { name: 'EOF', expand: false, chomp: true, fd: 0 });
  assert.deepEqual(parseHeredocMarker("3<<'IN1'"), { name: 'IN1', expand: false, chomp: false, fd: 3 });
  assert.equal(parseHeredocMarker('<<EOF bash'), undefined);
  assert.equal(parseHeredocMarker('a<<EOF'), undefined);
  assert.equal(parseHeredocMarker('<<'), undefined);
  assert.deepEqual(rawWords(`cat <<"EOF" 'a b' c\\ d`), ['cat', '<<"EOF"', "'a b'", 'c\\ d']);
});

test('RUN and COPY heredocs: contents, chomping, several heredocs, the command put back together', () => {
  const df = parseDockerfile(
    [
      '# syntax=docker/dockerfile:1',
      'FROM scratch',
      'RUN <<EOF',
      'echo "i am"',
      'whoami',
      'EOF',
      'RUN <<-EOT',
      '\t#!/bin/awk -f',
      '\tBEGIN { print "x" }',
      '\tEOT',
      'RUN cat <<EOF1 | tr a-z A-Z > /out1; \\',
      '  cat <<EOF2 > /out2',
      'one',
      'EOF1',
      'two',
      'EOF2',
      'RUN python3 <<EOF',
      'print(1)',
      'EOF',
      'COPY <<EOF <<"EOF2" /dir/',
      'first $X',
      'EOF',
      'second $X',
      'EOF2',
      'RUN ["echo", "<<EOF"]',
      'ENV A=1',
      '',
    ].join('\n'),
  );
  assert.deepEqual(
    df.map((i) => i.keyword),
    ['FROM', 'RUN', 'RUN', 'RUN', 'RUN', 'COPY', 'RUN', 'ENV'],
  );
  assert.deepEqual(heredocRun(df[1]!), { script: 'echo "i am"\nwhoami\n' });
  assert.deepEqual(heredocRun(df[2]!), {
    script: '/dev/pipes/EOT',
    pipeFile: { name: 'EOT', data: '#!/bin/awk -f\nBEGIN { print "x" }\n' },
  });
  assert.equal(heredocRun(df[3]!)!.script, 'cat <<EOF1 | tr a-z A-Z > /out1;   cat <<EOF2 > /out2\none\nEOF1\ntwo\nEOF2');
  assert.equal(heredocRun(df[4]!)!.script, 'python3 <<EOF\nprint(1)\nEOF');
  const copy = df[5]!;
  assert.equal(copy.heredocs!.length, 2);
  assert.equal(copy.heredocs![1]!.expand, false);
  const { paths, inline } = splitHeredocSources(copy, ['<<EOF', '<<EOF2', 'ctx.txt']);
  assert.deepEqual(paths, ['ctx.txt']);
  assert.deepEqual(
    inline.map((i) => i.heredoc.content),
    ['first $X\n', 'second $X\n'],
  );
  assert.equal(df[6]!.heredocs, undefined);
  assert.throws(() => parseDockerfile('FROM scratch\nRUN <<EOF\necho\n'), /unterminated heredoc/);
});

test('raw expansion of COPY heredocs keeps quotes and backslashes', () => {
  assert.equal(expand('Hello "${name}" \\$x \'$name\'\n', { name: 'world' }, true), 'Hello "world" \\$x \'world\'\n');
});

test('RUN --mount and --network flags', () => {
  const df = parseDockerfile(
    'FROM scratch\nRUN --mount=type=cache,target=/root/.cache,id=$ID,sharing=locked,mode=0700,uid=1 --mount=type=secret,id=tok,required --network=none echo\n',
  );
  const opts = parseRunOptions(df[1]!, { ID: 'pip' });
  assert.equal(opts.network, 'none');
  assert.deepEqual(opts.mounts[0], {
    type: 'cache',
    target: '/root/.cache',
    id: 'pip',
    sharing: 'locked',
    mode: 0o700,
    uid: 1,
    required: false,
  });
  assert.deepEqual(opts.mounts[1], { type: 'secret', id: 'tok', sharing: 'shared', required: true });
  assert.equal(df[1]!.args, 'echo');
  assert.deepEqual(parseMountFlag('target=/src,rw'), { type: 'bind', target: '/src', readonly: false, sharing: 'shared', required: false });
  assert.deepEqual(parseMountFlag('type=tmpfs,target=/t,size=64m').size, 64 * 1024 * 1024);
  assert.throws(() => parseMountFlag('type=volume,target=/x'), /unsupported mount type/);
  assert.throws(() => parseMountFlag('type=cache'), /needs a target/);
  assert.throws(() => parseMountFlag('type=cache,target=/x,bogus=1'), /unexpected key/);
  assert.throws(() => parseRunOptions(parseDockerfile('FROM scratch\nRUN --network=bridge x\n')[1]!, {}), /none, host or default/);
  assert.throws(
    () => parseRunOptions(parseDockerfile('FROM scratch\nRUN --security=insecure x\n')[1]!, {}),
    /security.insecure entitlement/,
  );
  assert.throws(() => parseRunOptions(parseDockerfile('FROM scratch\nRUN --frobnicate x\n')[1]!, {}), /unknown flag: --frobnicate/);
});

test('platform args', () => {
  assert.deepEqual(platformArgs({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }), {
    TARGETPLATFORM: 'linux/amd64',
    TARGETOS: 'linux',
    TARGETARCH: 'amd64',
    TARGETVARIANT: '',
    BUILDPLATFORM: 'linux/arm64',
    BUILDOS: 'linux',
    BUILDARCH: 'arm64',
    BUILDVARIANT: '',
  });
  assert.equal(platformArgs({ os: 'linux', architecture: 'arm', variant: 'v7' }).TARGETPLATFORM, 'linux/arm/v7');
});

test('COPY --exclude patterns and flag checks', () => {
  const ex = excludeFilter(['*.md', 'sub/skip.txt', '**/*.log'], ['docs/'])!;
  assert.equal(ex('readme.md'), true);
  assert.equal(ex('docs/readme.md'), true, 'relative to a named source directory');
  assert.equal(ex('docs/sub/deep.md'), false, '* does not cross a slash');
  assert.equal(ex('docs/sub/skip.txt'), true);
  assert.equal(ex('docs/sub/skip.txt/inner'), true, 'below an excluded directory');
  assert.equal(ex('docs/a/b/c.log'), true);
  assert.equal(ex('docs/keep.txt'), false);
  assert.equal(excludeFilter([], ['.']), undefined);
  const [copy] = parseDockerfile('COPY --link --chmod=755 --exclude=x a b\n');
  assert.doesNotThrow(() => checkCopyFlags(copy!));
  assert.throws(() => checkCopyFlags(parseDockerfile('COPY --parents a b\n')[0]!), /--parents is not supported/);
  assert.throws(() => checkCopyFlags(parseDockerfile('COPY --checksum=sha256:00 a b\n')[0]!), /unknown flag: --checksum/);
});

test('ONBUILD with a heredoc keeps its lines out of the instructions', () => {
  const df = parseDockerfile('FROM scratch\nONBUILD RUN <<EOF\necho hi\nEOF\nENV A=1\n');
  assert.deepEqual(
    df.map((i) => i.keyword),
    ['FROM', 'ONBUILD', 'ENV'],
  );
  assert.equal(df[1]!.heredocs![0]!.content, 'echo hi\n');
});

test('variable expansion: ${V-w}, ${V+w} and ${V:?m} as in BuildKit', () => {
  const vars = { SET: 'x', EMPTY: '' };
  assert.equal(expand('${EMPTY-d}|${EMPTY:-d}|${NONE-d}|${EMPTY+a}|${EMPTY:+a}|${SET?m}', vars), '|d|d|a||x');
  assert.throws(() => expand('${NONE:?needs a value}', vars), /NONE: needs a value/);
  assert.throws(() => expand('${EMPTY:?}', vars), /EMPTY: is not allowed to be unset/);
});
