import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, normalizeDuration, parseDuration } from '../../../src/model/normalize/duration.js';
import { parseBytes } from '../../../src/model/normalize/bytes.js';
import { parsePortEntry } from '../../../src/model/normalize/ports.js';
import { parseVolumeEntry } from '../../../src/model/normalize/volumes.js';
import { splitShellWords } from '../../../src/model/normalize/command.js';
import { listOrMapToMap } from '../../../src/model/normalize/mappings.js';
import { NormalizeError } from '../../../src/model/normalize/error.js';

test('durations print like Go', () => {
  assert.equal(normalizeDuration('90s'), '1m30s');
  assert.equal(normalizeDuration('1m30s'), '1m30s');
  assert.equal(normalizeDuration('1h'), '1h0m0s');
  assert.equal(normalizeDuration('500ms'), '500ms');
  assert.equal(normalizeDuration('1.5s'), '1.5s');
  assert.equal(normalizeDuration(10), '10s');
  assert.equal(normalizeDuration('2h3m4.5s'), '2h3m4.5s');
  assert.equal(formatDuration(0), '0s');
  assert.equal(parseDuration('1us'), 1000);
  assert.throws(() => parseDuration('10 parsecs'), NormalizeError);
});

test('byte sizes are binary', () => {
  assert.equal(parseBytes('512m'), 512 * 1024 * 1024);
  assert.equal(parseBytes('1g'), 1024 ** 3);
  assert.equal(parseBytes('1GB'), 1024 ** 3);
  assert.equal(parseBytes('64k'), 65536);
  assert.equal(parseBytes('100'), 100);
  assert.equal(parseBytes(4096), 4096);
  assert.throws(() => parseBytes('lots'), NormalizeError);
});

test('ports: short syntax with host ip and protocol', () => {
  assert.deepEqual(parsePortEntry('127.0.0.1:8080:80/udp'), [
    { mode: 'ingress', host_ip: '127.0.0.1', target: 80, published: '8080', protocol: 'udp' },
  ]);
  assert.deepEqual(parsePortEntry('80'), [{ mode: 'ingress', target: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortEntry(3000), [{ mode: 'ingress', target: 3000, protocol: 'tcp' }]);
  assert.deepEqual(parsePortEntry('8080:80'), [{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }]);
  assert.deepEqual(parsePortEntry('[::1]:8080:80'), [{ mode: 'ingress', host_ip: '::1', target: 80, published: '8080', protocol: 'tcp' }]);
});

test('ports: ranges', () => {
  assert.deepEqual(
    parsePortEntry('9000-9001:9000-9001').map((p) => [p.published, p.target]),
    [
      ['9000', 9000],
      ['9001', 9001],
    ],
  );
  assert.deepEqual(
    parsePortEntry('3000-3002').map((p) => p.target),
    [3000, 3001, 3002],
  );
  assert.deepEqual(parsePortEntry('8000-8010:80'), [{ mode: 'ingress', target: 80, published: '8000-8010', protocol: 'tcp' }]);
  assert.throws(() => parsePortEntry('1-3:1-2'), /same size/);
  assert.throws(() => parsePortEntry('80:80/icmp'), /protocol/);
  assert.throws(() => parsePortEntry('99999'), /0 to 65535/);
});

test('ports: long syntax keeps published as a string', () => {
  assert.deepEqual(parsePortEntry({ target: 80, published: 8080, host_ip: '0.0.0.0' }), [
    { mode: 'ingress', target: 80, protocol: 'tcp', host_ip: '0.0.0.0', published: '8080' },
  ]);
});

test('volumes: bind, named, anonymous and modes', () => {
  assert.deepEqual(parseVolumeEntry('./src:/app:ro', '/proj'), {
    type: 'bind',
    source: '/proj/src',
    target: '/app',
    read_only: true,
    bind: { create_host_path: true },
  });
  assert.deepEqual(parseVolumeEntry('data:/var/lib/data', '/proj'), {
    type: 'volume',
    source: 'data',
    target: '/var/lib/data',
    volume: {},
  });
  assert.deepEqual(parseVolumeEntry('/cache', '/proj'), { type: 'volume', target: '/cache', volume: {} });
  assert.deepEqual(parseVolumeEntry('/etc/x:/x:rw,z', '/proj'), {
    type: 'bind',
    source: '/etc/x',
    target: '/x',
    bind: { selinux: 'z', create_host_path: true },
  });
  assert.deepEqual(parseVolumeEntry('data:/d:nocopy', '/proj'), { type: 'volume', source: 'data', target: '/d', volume: { nocopy: true } });
  assert.deepEqual(parseVolumeEntry({ type: 'bind', source: '../shared', target: '/s' }, '/proj/app'), {
    type: 'bind',
    source: '/proj/shared',
    target: '/s',
  });
  assert.throws(() => parseVolumeEntry('a:/b:bogus', '/p'), /unknown mode "bogus"/);
});

test('shell-form commands split like shlex', () => {
  assert.deepEqual(splitShellWords('echo "hello world" "it\'s"'), ['echo', 'hello world', "it's"]);
  assert.deepEqual(splitShellWords(`sh -c 'echo $HOME'`), ['sh', '-c', 'echo $HOME']);
  assert.deepEqual(splitShellWords('a\\ b  c'), ['a b', 'c']);
  assert.throws(() => splitShellWords('"open'), NormalizeError);
});

test('list-or-map values', () => {
  assert.deepEqual(listOrMapToMap(['A=1', 'B=', 'C', 'D=x=y'], true), { A: '1', B: '', C: null, D: 'x=y' });
  assert.deepEqual(listOrMapToMap({ A: 1, B: true, C: null }, true), { A: '1', B: 'true', C: null });
  assert.deepEqual(listOrMapToMap(['L'], false), { L: '' });
});
