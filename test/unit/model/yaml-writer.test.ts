import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { needsQuotes, writeYaml } from '../../../src/model/yaml-writer.js';

const tricky = [
  '',
  ' ',
  'yes',
  'No',
  'on',
  'OFF',
  'true',
  'null',
  '~',
  'y',
  '3000',
  '1.5',
  '0x1F',
  '1e3',
  '1:2',
  '010',
  '-1',
  '.5',
  '- item',
  '-x',
  'a: b',
  'a #b',
  'key:',
  '#comment',
  '&anchor',
  '*alias',
  '!tag',
  '|',
  '>',
  '%x',
  '@x',
  '`x',
  '"q"',
  "'q'",
  '[a]',
  '{a}',
  'a,b',
  'trailing ',
  ' leading',
  'multi\nline',
  'tab\there',
  'ünïcode',
  '**/*.test.js',
  'http://x:80/a?b=c#d',
  '1.',
  '1_000',
  '+1',
  '1e-3',
  '10:30',
  '0o17',
  '0b101',
  '.inf',
  '-.nan',
  '1.1.1.1',
  '::1',
  'CMD-SHELL',
  'pg_isready -U app',
  '$HOME',
  '${VAR}',
  'a=b',
  'C:\\path',
  '.env',
  './src',
  '/abs/path',
  '?',
  ':',
  '-',
  '=',
  '<<',
];

test('every string reads back as the same string (YAML 1.2 and 1.1 readers)', () => {
  const doc = { list: tricky, map: Object.fromEntries(tricky.filter(Boolean).map((s, i) => [s, i])) };
  const text = writeYaml(doc);
  assert.deepEqual(parse(text), doc);
  assert.deepEqual(parse(text, { version: '1.1' }), doc);
});

test('layout: nested maps, lists of maps, empty collections, nulls, numbers and booleans', () => {
  const text = writeYaml({
    name: 'p',
    services: {
      a: {
        ports: [{ mode: 'ingress', target: 80, published: '8080' }],
        networks: { default: null },
        volume: {},
        list: [],
        ok: true,
        num: 1.5,
      },
    },
  });
  assert.equal(
    text,
    [
      'name: p',
      'services:',
      '  a:',
      '    ports:',
      '      - mode: ingress',
      '        target: 80',
      '        published: "8080"',
      '    networks:',
      '      default: null',
      '    volume: {}',
      '    list: []',
      '    ok: true',
      '    num: 1.5',
      '',
    ].join('\n'),
  );
});

test('plain strings stay plain', () => {
  for (const s of [
    'nginx:latest',
    'service_healthy',
    '1m30s',
    'redis-server',
    '--appendonly',
    'a b c',
    '1.1.1.1',
    '172.30.0.10',
    '10.0.0.0/24',
    'linux/amd64',
  ])
    assert.equal(needsQuotes(s), false, s);
});
